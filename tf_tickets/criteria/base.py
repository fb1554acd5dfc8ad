"""What every criterion shares: the registry, the option checks, the argument checks and masks.

A criterion turns weights into importance scores: one array per weight, same shape, higher = more
important (kept first). It knows nothing of budgets, training or TF-MOT. The caller hands it a private,
plain copy of the model, so a criterion may change that copy while scoring: masks are written into its
weights, BatchNorm moving statistics move under `training=True`, GraSP re-initialises the classifier.
A criterion's formula is written once, here and in its module, over the primitives of the model's
framework (`tf_tickets.criteria.autodiff`: tf_keras, or Keras 3 on TensorFlow, JAX or PyTorch).
"""
import abc
import math
import numbers
from typing import List, Optional, Sequence

import numpy as np

from tf_tickets.arrays import as_numpy
from tf_tickets.criteria import autodiff
from tf_tickets.errors import TicketsError
from tf_tickets.options import WithOptions
from tf_tickets.registry import Registry

CRITERIA = Registry("criterion")


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise TicketsError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def real_in(name: str, value, low: float, high: float, low_open: bool = False) -> float:
    """A finite real in [low, high] ((low, high] with `low_open`); bools are refused (True reads as 1)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value > high or value < low or (low_open and value == low):
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise TicketsError(f"{name} must be a number in {bounds}, got {value!r}")
    return float(value)


class Criterion(WithOptions, abc.ABC):
    """Scores weights. Subclasses set `name`, `needs_data`, `defaults` (their options) and implement
    `_score`; `rounds` > 1 asks the caller to prune iteratively (round k targets density**(k/rounds)
    and passes the masks so far back in)."""

    kind = "criterion"
    needs_data = False
    random_order = False  # True: its ranking carries no information (inverting it is just another draw)
    rounds = 1
    # Criteria whose pruned weights score exactly zero may offer `survivor_rounds(model, weights)` (SynFlow's):
    # iterative pruning then scores and ranks only the weights it kept so far (`tf_tickets.pruning.survivors`).
    survivor_rounds = None
    copy_dtype = None  # the dtype of the scoring copy it wants (None: the model's)
    second_order = False  # True: it differentiates a gradient (its scoring copy's BatchNorm is built for that)

    def __init__(self, **options):
        super().__init__(**options)
        self._configure(**self.options)

    def _configure(self, **options):
        """Checks the options and keeps them as attributes; nothing to do for option-less criteria."""

    def score(self, model, weights: Sequence, batch=None, masks: Optional[Sequence] = None,
              seed: int = 0) -> List[np.ndarray]:
        """One score array per weight (same shape; higher = keep). `model` is a plain model with logits
        output that the criterion may modify (a tf_keras Functional model, or any Keras 3 model); `weights`
        its variables to score, in forward order; `batch` (x, y) arrays; `masks` 0/1 arrays: the masked
        network (w*mask, written into the variables) is what gets scored."""
        weights = check_weights(model, weights)
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise TicketsError(f"seed must be a non-negative integer, got {seed!r}")
        if self.needs_data:
            if batch is None:
                raise TicketsError(f"{self.name} needs data: pass data=...")
            batch = check_batch(model, batch)
        primitives = autodiff.of(model)
        self._prepare(model, batch, int(seed))
        apply_masks(primitives, weights, masks)
        scores = [np.asarray(s) for s in self._score(model, weights, batch, int(seed))]
        for s, w in zip(scores, weights):
            assert s.shape == tuple(w.shape), (self.name, s.shape, w.shape)
        return scores

    def _prepare(self, model, batch, seed: int) -> None:
        """Changes to the private model that come before the masks (GraSP's re-initialisation)."""

    @abc.abstractmethod
    def _score(self, model, weights: List, batch, seed: int) -> List[np.ndarray]:
        """Scores for checked arguments (masks already applied; batch checked or None)."""


def check_weights(model, weights) -> List:
    weights = list(weights) if weights is not None else []
    if not weights:
        raise TicketsError("a criterion needs at least one weight to score")
    own = {id(v) for v in model.weights}
    for w in weights:
        if id(w) not in own:
            raise TicketsError(f"weight {getattr(w, 'name', w)!r} is not a variable of model {model.name!r}")
    return weights


def check_batch(model, batch):
    """(x, y) as numpy arrays: y integer class indices in [0, classes), x shaped like the model's input."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TicketsError(f"batch must be a tuple (x, y) of arrays, got {type(batch).__name__}")
    x, y = as_numpy(batch[0], "batch x"), as_numpy(batch[1], "batch y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TicketsError(f"batch labels must be a 1-D array of integer class indices, got {y.dtype} {y.shape}")
    if len(x) != len(y) or len(y) == 0:
        raise TicketsError(f"batch x and y must hold the same, non-zero number of examples, got {len(x)} and {len(y)}")
    primitives = autodiff.of(model)
    check_label_range(y, primitives.num_classes(model))
    expected = primitives.input_shape(model)
    if len(expected) != x.ndim - 1 or any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
        raise TicketsError(f"batch x has examples of shape {x.shape[1:]} but the model takes {expected}")
    return x, y.astype(np.int64)


def check_label_range(y: np.ndarray, classes: int) -> None:
    if len(y) and y.max() >= classes:
        raise TicketsError(f"labels go up to {y.max()} but the model has {classes} classes: "
                           f"labels must be in [0, {classes})")
    if len(y) and y.min() < 0:
        raise TicketsError(f"labels must be in [0, {classes}), got {y.min()}")


def apply_masks(primitives, weights: List, masks) -> None:
    """Writes w*mask into each variable, so that the masked network is the one scored."""
    if masks is None:
        return
    masks = list(masks)
    if len(masks) != len(weights):
        raise TicketsError(f"got {len(masks)} masks for {len(weights)} weights")
    masks = [as_numpy(m, "a mask") for m in masks]
    for w, m in zip(weights, masks):
        if m.shape != tuple(w.shape):
            raise TicketsError(f"mask of shape {m.shape} does not fit weight {w.name!r} of shape {tuple(w.shape)}")
    primitives.write_masks(weights, masks)
