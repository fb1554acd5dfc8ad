"""Ends training after exactly N optimizer steps (durations given in iterations, e.g. `500it`)."""
from tf_tickets.callbacks.step_counter import StepCounter


class StopAtStep(StepCounter):
    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = int(total_steps)

    def steps_that_matter(self):
        return (self.total_steps,)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step >= self.total_steps:
            self.model.stop_training = True
