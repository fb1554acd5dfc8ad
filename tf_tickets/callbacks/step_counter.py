"""A callback base that knows the optimizer step without reading it from the device at every batch.

Reading `optimizer.iterations` after each batch forces a device sync; for small models that costs
more than the step itself. The step is read once when training starts and counted from there.
"""
from tf_tickets.backend import keras


class StepCounter(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.step = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
