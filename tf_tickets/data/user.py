"""A user's own `tf.data` pipelines as an in-memory data set, so that every run and check applies to them.

The pipelines yield `(x, y)` batches as the user's training would see them (preprocessed); they are read
once into float32 arrays, put in a canonical order (so a pipeline that shuffles gives the same data set
every time), and named by a fingerprint of their content. Corruptions (random labels, random pixels,
half the data) then act on these arrays, and each run batches and shuffles them as a function of its
seed, as for the built-in data sets.
"""
import hashlib

import numpy as np

from tf_tickets.data.image_data import ImageData
from tf_tickets.errors import TicketsError


def _arrays(dataset, what: str):
    xs, ys = [], []
    for element in dataset.as_numpy_iterator():
        if not isinstance(element, tuple) or len(element) != 2:
            raise TicketsError(f"{what} must yield (x, y) batches, got {type(element).__name__}")
        x, y = element
        xs.append(np.asarray(x, np.float32))
        ys.append(np.asarray(y))
    if not xs:
        raise TicketsError(f"{what} is empty")
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = np.argsort([hashlib.sha1(row.tobytes() + bytes(str(label), "ascii")).digest() for row, label in zip(x, y)],
                       kind="stable")
    x, y = x[order], y[order]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TicketsError(f"{what}: labels must be integer class indices (not one-hot), got {y.dtype} {y.shape}")
    if x.ndim == 3:  # grey images without a channel axis
        x = x[..., None]
    return x, y.astype(np.int64)


def from_datasets(train_ds, test_ds, num_classes: int) -> ImageData:
    """The pipelines' data, named "user:<fingerprint of the content>"."""
    x_train, y_train = _arrays(train_ds, "the training dataset")
    x_test, y_test = _arrays(test_ds, "the test dataset")
    digest = hashlib.sha1()
    for array in (x_train, y_train, x_test, y_test):
        digest.update(np.ascontiguousarray(array).tobytes())
    channels = x_train.shape[-1]
    return ImageData(f"user:{digest.hexdigest()[:12]}", x_train, y_train, x_test, y_test, int(num_classes),
                     (0.0,) * channels, (1.0,) * channels)
