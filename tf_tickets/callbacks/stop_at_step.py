"""Ends training after exactly N optimizer steps (durations given in iterations, e.g. `500it`)."""
from tf_tickets.backend import keras


class StopAtStep(keras.callbacks.Callback):
    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = int(total_steps)

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= self.total_steps:
            self.model.stop_training = True
