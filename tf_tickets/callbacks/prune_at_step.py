"""Prunes once, at a given optimizer step of a run (e.g. after 500 iterations of dense training).

The callback knows nothing of criteria: it is handed `prune(model)`, which sets the masks of the
(wrapped) model being trained. A resumed run past that step keeps the masks its checkpoint restored.
"""
from tf_tickets.callbacks.step_counter import StepCounter


class PruneAtStep(StepCounter):
    def __init__(self, step: int, prune):
        super().__init__()
        self.at_step = int(step)
        self._prune = prune
        self.done = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.done = self.step >= self.at_step > 0
        self._maybe_prune()

    def steps_that_matter(self):
        return (self.at_step,)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._maybe_prune()

    def _maybe_prune(self):
        if not self.done and self.step >= self.at_step:
            self._prune(self.model)
            self.done = True
