"""A user's own data sets as an in-memory data set, so that every run and check applies to them.

The data sets yield `(x, y)` batches as the user's training would see them (preprocessed): a `tf.data` pipeline,
a `keras.utils.PyDataset`, a PyTorch `DataLoader`, any iterable of batches, or `(x, y)` arrays (read by
`tf_tickets.data.walk`, without a framework). They are read once into float32 arrays, put in a canonical
order (so a pipeline that shuffles gives the same data set every time), and named by a fingerprint of their
content. Corruptions (random labels, random pixels, half the data) then act on these arrays, and each run
batches and shuffles them as a function of its seed, as for the built-in data sets.
"""
import hashlib

import numpy as np

from tf_tickets.data.image_data import ImageData
from tf_tickets.data.walk import batches
from tf_tickets.errors import TicketsError


def _arrays(dataset, what: str):
    xs, ys = [], []
    try:
        for x, y in batches(dataset):
            xs.append(np.asarray(x, np.float32))
            ys.append(y)
    except TicketsError as error:
        raise TicketsError(f"{what}: {error}") from None
    if not xs:
        raise TicketsError(f"{what} is empty")
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = np.argsort([hashlib.sha1(row.tobytes() + bytes(str(label), "ascii")).digest() for row, label in zip(x, y)],
                       kind="stable")
    x, y = x[order], y[order]
    if x.ndim == 3:  # grey images without a channel axis
        x = x[..., None]
    if x.ndim != 4:
        raise TicketsError(f"{what}: inputs must be images, (N, H, W[, C]), got batches of shape {x.shape[1:]}")
    return x, y


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
