"""Rewinding: capture a model's weights at a step of training, and set surviving weights back to them.

A snapshot (`snapshot`, `restore`: `tf_tickets.pruning.weights`) is {"<layer>/<weight>": array} over
the model's own weights, masks never included; snapshots are `.npz` files, read without pickle.
"""
import io
import os
from typing import Dict

import numpy as np

from tf_tickets.callbacks.binding import Callback
from tf_tickets.callbacks.step_counter import StepCounter
from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic_bytes
from tf_tickets.pruning.weights import restore, snapshot  # noqa: F401  (part of this module's API)

STEP_KEY = "__step__"


def save(weights: Dict[str, np.ndarray], path: str, step: int) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **weights, **{STEP_KEY: np.array(step, np.int64)})
    write_atomic_bytes(path, buffer.getvalue())


def load(path: str):
    """Returns (weights, step)."""
    if not os.path.isfile(path):
        raise TicketsError(f"no rewind point at {path}")
    with np.load(path, allow_pickle=False) as archive:
        weights = {k: archive[k] for k in archive.files if k != STEP_KEY}
        return weights, int(archive[STEP_KEY])


class CaptureWeights(StepCounter):
    """Saves the weights once training reaches `at_step` (0: before the first step) to `path`."""

    def __init__(self, at_step: int, path: str, enabled: bool = True):
        super().__init__()
        self.at_step = int(at_step)
        self.path = path
        self.enabled = enabled

    def _maybe_capture(self):
        if self.step == self.at_step and self.enabled and not os.path.exists(self.path):
            save(snapshot(self.model), self.path, self.step)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._maybe_capture()

    def steps_that_matter(self):
        return (self.at_step,)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._maybe_capture()


class AtFirstStep(Callback):
    """Acts once, when a run starts at `start_step`; not when a killed run resumes (its checkpoint
    already holds what the action changed). The action is `action(model)`, or a subclass's `apply`."""

    def __init__(self, start_step: int = 0, action=None):
        super().__init__()
        self.start_step = int(start_step)
        self.action = action

    def on_train_begin(self, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == self.start_step:
            self.apply(self.model)

    def apply(self, model):
        if self.action is None:
            raise NotImplementedError("give an action or override apply")
        self.action(model)


class RewindWeights(AtFirstStep):
    """Sets the weights to a snapshot when training starts; masks are kept (pruned weights stay 0)."""

    def __init__(self, weights: Dict[str, np.ndarray], start_step: int = 0):
        super().__init__(start_step)
        self.weights = weights

    def apply(self, model):
        restore(model, self.weights)
