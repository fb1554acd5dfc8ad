"""Checkpoints of a Keras 3 run at each epoch end, so that a killed run picks up where it stopped (the tf_keras
loop's `ResumableCheckpoint` uses TensorFlow's; these are NumPy files, for every backend).

Each holds every variable of the model (weights, masks, BatchNorm statistics, a search's scores), every
variable of the optimizer (its step, which drives the learning-rate schedule, and its slots) and the number
of finished epochs, as `checkpoints/epoch-<n>.npz`, written atomically; the two newest are kept. Restoring
gives the epoch to resume from; the data batches are a function of (seed, epoch), so the resumed run sees the
batches an uninterrupted one would have.
"""
import io
import os
import re
from typing import List

import keras
import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic_bytes
from tf_tickets.models.keras3 import to_numpy

_NAME = re.compile(r"epoch-(\d+)\.npz$")
EPOCH = "finished_epochs"


class Checkpoint(keras.callbacks.Callback):
    def __init__(self, directory: str, max_to_keep: int = 2):
        super().__init__()
        self.directory = directory
        self.max_to_keep = max_to_keep

    def _files(self) -> List[str]:
        """Checkpoint files, newest first."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        found = [(int(m.group(1)), name) for name in names if (m := _NAME.fullmatch(name))]
        return [os.path.join(self.directory, name) for _, name in sorted(found, reverse=True)]

    @staticmethod
    def _variables(model) -> List:
        return list(model.variables) + list(model.optimizer.variables)

    def restore(self, model) -> int:
        """Restores the newest checkpoint into `model` (compiled, its optimizer built) if there is one; returns
        the number of finished epochs (0 without a checkpoint)."""
        files = self._files()
        if not files:
            return 0
        variables = self._variables(model)
        with np.load(files[0], allow_pickle=False) as archive:
            values = [archive[f"v{i}"] for i in range(len(archive.files) - 1)]
            epoch = int(archive[EPOCH])
        if len(values) != len(variables) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
            raise TicketsError(f"the checkpoint {files[0]} does not fit the model (another run's? delete its "
                               "directory to start the run again)")
        for variable, value in zip(variables, values):
            variable.assign(value)
        return epoch

    def on_epoch_end(self, epoch, logs=None):
        model = self.model  # on JAX, reading it brings the epoch's state back into the variables
        buffer = io.BytesIO()
        arrays = {f"v{i}": to_numpy(v) for i, v in enumerate(self._variables(model))}
        np.savez(buffer, **arrays, **{EPOCH: np.array(epoch + 1, np.int64)})
        os.makedirs(self.directory, exist_ok=True)
        write_atomic_bytes(os.path.join(self.directory, f"epoch-{epoch + 1}.npz"), buffer.getvalue())
        for old in self._files()[self.max_to_keep:]:
            os.remove(old)
