"""(x, y) NumPy batches from the data a user hands over, in the order it yields them, without importing a
framework: a `tf.data.Dataset` of batches or single examples (TensorFlow is loaded already where one exists),
a tuple (x, y) of arrays, or any other iterable of (x, y) batches (a `keras.utils.PyDataset`, a PyTorch
`DataLoader`, a generator) of NumPy arrays or a framework's tensors. Scoring batches
(`tf_tickets.criteria.batch`) and a user's data sets (`tf_tickets.data.user`) read data through it."""
import sys
from typing import Iterator, Tuple

import numpy as np

from tf_tickets.arrays import as_numpy
from tf_tickets.errors import TicketsError

_CHUNK = 256


def _labels(y) -> np.ndarray:
    """Integer class indices as a 1-D int64 array (a trailing axis of 1, as in Keras's CIFAR, is dropped)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise TicketsError(f"labels must be integer class indices, one per example (not one-hot), got an array of "
                           f"shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.floating) or not np.all(np.isfinite(y) & (y == np.round(y))):
            raise TicketsError(f"labels must be integer class indices, got {y.dtype}")
    return y.astype(np.int64)


def batches(data) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """(x, y) NumPy pieces in the order the data yields them (labels as int64 class indices)."""
    tf = sys.modules.get("tensorflow")  # a tf.data.Dataset means TensorFlow is loaded already
    if tf is not None and isinstance(data, tf.data.Dataset):
        spec = data.element_spec
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise TicketsError("a dataset must yield (x, y) pairs (e.g. tfds as_supervised=True), "
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
