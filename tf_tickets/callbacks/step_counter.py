"""A callback base that knows the optimizer step without reading it from the device at every batch.

Reading `optimizer.iterations` after each batch forces a device sync; for small models that costs
more than the step itself. The step is read once when training starts and counted from the batch
index Keras passes, which is the last step of a call when one call runs several steps
(`steps_per_execution`). Subclasses say at which steps they act (`steps_that_matter`), so that the
training loop runs as many steps per call as keeps them exact.
"""
from typing import Optional, Sequence

from tf_tickets.callbacks.binding import Callback


class StepCounter(Callback):
    def on_train_begin(self, logs=None):
        self.step = int(self.model.optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self.step

    def on_train_batch_end(self, batch, logs=None):
        self.step = self._epoch_start + int(batch) + 1

    def steps_that_matter(self) -> Optional[Sequence[int]]:
        """The optimizer steps at whose end this callback acts (None: every step)."""
        return ()
