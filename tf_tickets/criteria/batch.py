"""The class-balanced scoring batch of SNIP and GraSP (Su et al.'s `GraSP_fetch_data`).

The reference walks its shuffled training loader and keeps the first `per_class` examples of each
class, until every class has them; so do we, in the order the data yields them, stopping as soon as
all classes are full (a `dataset.repeat()` is never walked to its end). Like the reference, which
concatenates its per-class lists, the result is ordered by class, then by arrival within a class; this
fixes what GraSP's two halves hold (classes 0..C/2-1, then the rest, for 10 per class).
"""
import numbers
import sys
from typing import Iterator, Tuple

import numpy as np

from tf_tickets.arrays import as_numpy
from tf_tickets.criteria.base import check_label_range
from tf_tickets.errors import TicketsError

_CHUNK = 256


def class_balanced_batch(data, num_classes: int, per_class: int = 10,
                         max_examples: int = 1_000_000) -> Tuple[np.ndarray, np.ndarray]:
    """(x, y): the first `per_class` examples of each class of `data`, ordered by class.

    `data` is a `tf.data.Dataset` of (x, y) batches or single examples, a tuple (x, y) of arrays, or any
    other iterable of (x, y) batches (a `keras.utils.PyDataset`, a PyTorch `DataLoader`; NumPy arrays or a
    framework's tensors, read without TensorFlow);
    x is returned as the data gives it (preprocess it as for training), y as int64. A TicketsError if a
    label is outside [0, num_classes), or if the data ends (or `max_examples` have been walked, which
    keeps an endless dataset that lacks a class from being walked forever) before every class is full.
    """
    for name, value in (("num_classes", num_classes), ("per_class", per_class), ("max_examples", max_examples)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise TicketsError(f"{name} must be a positive integer, got {value!r}")
    taken = [[] for _ in range(num_classes)]
    counts = np.zeros(num_classes, np.int64)
    walked = 0
    for x, y in _chunks(data):
        check_label_range(y, num_classes)
        for c in np.unique(y):
            need = per_class - counts[c]
            if need > 0:
                idx = np.flatnonzero(y == c)[:need]
                taken[c].append(x[idx])
                counts[c] += len(idx)
        walked += len(y)
        if counts.min() >= per_class:
            break
        if walked >= max_examples:
            _missing(counts, per_class, f"in the first {walked} examples (max_examples={max_examples})")
    else:
        _missing(counts, per_class, f"in the data ({walked} examples)")
    x = np.concatenate([part for parts in taken for part in parts])
    y = np.repeat(np.arange(num_classes, dtype=np.int64), per_class)
    return x, y


def _missing(counts: np.ndarray, per_class: int, where: str):
    short = np.flatnonzero(counts < per_class)
    shown = ", ".join(f"{c} ({counts[c]})" for c in short[:10]) + (", ..." if len(short) > 10 else "")
    raise TicketsError(f"need {per_class} examples of every class but found fewer of class(es) {shown} {where}; "
                       f"check num_classes, or pass more data")


def _labels(y) -> np.ndarray:
    """Integer class indices as a 1-D int64 array (a trailing axis of 1, as in Keras's CIFAR, is dropped)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise TicketsError(f"labels must be class indices (one per example), got an array of shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.floating) or not np.all(np.isfinite(y) & (y == np.round(y))):
            raise TicketsError(f"labels must be integer class indices, got {y.dtype}")
    return y.astype(np.int64)


def _chunks(data) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """(x, y) numpy pieces in the order the data yields them."""
    tf = sys.modules.get("tensorflow")  # a tf.data.Dataset means TensorFlow is loaded already
    if tf is not None and isinstance(data, tf.data.Dataset):
        spec = data.element_spec
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise TicketsError("a dataset for scoring must yield (x, y) pairs (e.g. tfds as_supervised=True), "
                               f"got elements {spec}")
        if spec[1].shape.rank == 0:  # single examples: batch them, so that they are walked in bulk
            data = data.batch(_CHUNK)
        for x, y in data:
            yield _batch(x.numpy(), y.numpy())
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = as_numpy(data[0], "data x"), _labels(as_numpy(data[1], "data y"))
        if len(x) != len(y):
            raise TicketsError(f"data x and y must hold the same number of examples, got {len(x)} and {len(y)}")
        for start in range(0, len(y), _CHUNK):
            yield x[start:start + _CHUNK], y[start:start + _CHUNK]
    elif hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, str, bytes, dict)):
        for element in data:  # a PyDataset, a DataLoader, a generator: (x, y) batches of arrays or tensors
            if not isinstance(element, (tuple, list)) or len(element) != 2:
                size = f" of {len(element)}" if isinstance(element, (tuple, list)) else ""
                raise TicketsError(f"data must yield (x, y) batches, got a {type(element).__name__}{size}")
            yield _batch(as_numpy(element[0], "a batch's x"), as_numpy(element[1], "a batch's y"))
    else:
        raise TicketsError("data must be a tf.data.Dataset or an iterable of (x, y) batches, or a tuple (x, y) of "
                           f"arrays, got {type(data).__name__}")


def _batch(x: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """A batch as (x, labels); a single example (a scalar label) as a batch of one."""
    if np.ndim(y) == 0:
        x, y = x[None], np.reshape(y, (1,))
    y = _labels(y)
    if len(x) != len(y):
        raise TicketsError(f"a data batch has {len(x)} inputs but {len(y)} labels")
    return x, y
