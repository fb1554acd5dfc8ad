"""The class-balanced scoring batch of SNIP and GraSP (Su et al.'s `GraSP_fetch_data`).

The reference walks its shuffled training loader and keeps the first `per_class` examples of each
class, until every class has them; so do we, in the order the data yields them, stopping as soon as
all classes are full (a `dataset.repeat()` is never walked to its end). Like the reference, which
concatenates its per-class lists, the result is ordered by class, then by arrival within a class; this
fixes what GraSP's two halves hold (classes 0..C/2-1, then the rest, for 10 per class).
"""
import numbers
from typing import Tuple

import numpy as np

from tf_tickets.criteria.base import check_label_range
from tf_tickets.data.walk import batches
from tf_tickets.errors import TicketsError


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
    for x, y in batches(data):
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
