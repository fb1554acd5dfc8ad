"""Checkpoints at each epoch end so that a killed run picks up where it stopped.

Holds the model (weights, and later the pruning masks, which are weights too), the optimizer (its
step drives the learning-rate schedule) and the number of finished epochs. Restoring gives the epoch
to resume from; the data pipeline is a function of (seed, epoch), so the resumed run sees the same
batches as an uninterrupted one. Under multi-worker training every worker saves (reading
synchronised variables is a collective), the chief into the run directory, the others into a scratch
directory that is deleted afterwards.
"""
import os
import shutil

from tf_tickets.backend import keras, tf


class ResumableCheckpoint(keras.callbacks.Callback):
    def __init__(self, directory: str, model, optimizer, is_chief: bool = True, worker: str = "local",
                 max_to_keep: int = 2):
        super().__init__()
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="finished_epochs")
        self._checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, finished_epochs=self.epoch)
        self._directory = directory
        self._scratch = None if is_chief else os.path.join(directory, f".scratch-{worker}")
        # Every worker saves the same way (the save is a collective); only the chief's copy is kept.
        self._manager = tf.train.CheckpointManager(self._checkpoint, self._scratch or directory,
                                                   max_to_keep=max_to_keep)

    def restore(self) -> int:
        """Restores the newest checkpoint if there is one; returns the number of finished epochs."""
        latest = tf.train.latest_checkpoint(self._directory)
        if latest:
            self._checkpoint.restore(latest).assert_existing_objects_matched()
        return int(self.epoch.numpy())

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.assign(epoch + 1)
        self._manager.save(checkpoint_number=epoch + 1)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
