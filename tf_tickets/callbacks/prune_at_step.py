"""Prunes once, at a given optimizer step of a run (e.g. after 500 iterations of dense training).

The callback knows nothing of criteria: it is handed `prune(model)`, which sets the masks of the
(wrapped) model being trained. A resumed run past that step keeps the masks its checkpoint restored.
"""
from tf_tickets.backend import keras


class PruneAtStep(keras.callbacks.Callback):
    def __init__(self, step: int, prune):
        super().__init__()
        self.step = int(step)
        self._prune = prune
        self.done = False

    def on_train_begin(self, logs=None):
        self.done = int(self.model.optimizer.iterations.numpy()) >= self.step > 0
        self._maybe_prune()

    def on_train_batch_end(self, batch, logs=None):
        self._maybe_prune()

    def _maybe_prune(self):
        if not self.done and int(self.model.optimizer.iterations.numpy()) >= self.step:
            self._prune(self.model)
            self.done = True
