"""NumPy batches for training and evaluation, reproducible batch for batch and resumable at any epoch, without
TensorFlow: what a Keras 3 run trains on (any backend; tf_keras runs use the tf.data `pipeline`).

As in the `pipeline`, each epoch's order and each example's augmentation are functions of (seed, epoch) alone,
so a run resumed at epoch k sees the batches an uninterrupted one would have, and batches never span epochs
(the last, partial batch of an epoch is kept). The order is NumPy's (`numpy.random.default_rng([seed,
epoch])`), not TensorFlow's stateless shuffle: the same seed gives the same batches on every Keras 3 backend,
and other batches than a tf_keras run of that seed.
"""
import math
from typing import Iterator, Optional, Tuple

import numpy as np

from tf_tickets.data.image_data import ImageData
from tf_tickets.errors import TicketsError

Batch = Tuple[np.ndarray, np.ndarray]


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
    """Batches in one epoch, counting the last partial batch."""
    return math.ceil(num_examples / batch_size)


def check(batch_size, seed, start_epoch, end_epoch) -> None:
    if int(batch_size) != batch_size or batch_size < 1:
        raise TicketsError(f"batch size must be a positive integer, got {batch_size!r}")
    if int(seed) != seed or not 0 <= seed < 2 ** 63:
        raise TicketsError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    if start_epoch < 0 or (end_epoch is not None and end_epoch < start_epoch):
        raise TicketsError(f"epochs must satisfy 0 <= start_epoch <= end_epoch, got {start_epoch}..{end_epoch}")


def normalize(images: np.ndarray, data: ImageData) -> np.ndarray:
    """(x/255 - mean)/std per channel, float32, as the pipeline's `normalize`; float images (a user's own,
    preprocessed already) pass as they are."""
    if images.dtype == np.float32:
        return images
    mean, std = np.asarray(data.mean, np.float32), np.asarray(data.std, np.float32)
    return (images.astype(np.float32) / np.float32(255.0) - mean) / std


def crop_flip(images: np.ndarray, padding: int, offsets: np.ndarray, flips: np.ndarray) -> np.ndarray:
    """A batch zero-padded by `padding`, cropped back at `offsets` (B, 2), mirrored where `flips` (B,) is 1."""
    height, width = images.shape[1], images.shape[2]
    padded = np.pad(images, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    rows = offsets[:, 0:1] + np.arange(height)[None, :]
    cols = offsets[:, 1:2] + np.arange(width)[None, :]
    cols = np.where(flips[:, None] > 0, cols[:, ::-1], cols)
    out = np.take_along_axis(padded, rows[:, :, None, None], axis=1)
    return np.take_along_axis(out, cols[:, None, :, None], axis=2)


class TrainBatches:
    """Batches (x float32 normalised, y int64) of epochs `start_epoch`..`end_epoch`-1 (None: forever); batch `i`
    is a function of (seed, epoch, i), so any batch can be read in any order (`batches[i]`) or walked in turn."""

    def __init__(self, data: ImageData, batch_size: int, seed: int, start_epoch: int = 0,
                 end_epoch: Optional[int] = None, augment: bool = True):
        check(batch_size, seed, start_epoch, end_epoch)
        self.data, self.batch_size, self.seed = data, int(batch_size), int(seed)
        self.start_epoch, self.end_epoch = int(start_epoch), end_epoch
        self.per_epoch = steps_per_epoch(len(data.y_train), self.batch_size)
        self.augmenting = augment and data.augment == "crop_flip"
        self._epoch: Optional[Tuple[int, np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]] = None

    def __len__(self) -> int:
        if self.end_epoch is None:
            raise TypeError("endless batches have no length")
        return self.per_epoch * (self.end_epoch - self.start_epoch)

    def epoch(self, epoch: int):
        """(order, crop offsets, flips) of one epoch, drawn once per epoch."""
        if self._epoch is None or self._epoch[0] != epoch:
            n = len(self.data.y_train)
            rng = np.random.default_rng([self.seed, epoch])
            order = rng.permutation(n)
            offsets = flips = None
            if self.augmenting:
                padding = int(self.data.crop_padding)
                offsets = rng.integers(0, 2 * padding + 1, size=(n, 2))
                flips = rng.integers(0, 2, size=n)
            self._epoch = (epoch, order, offsets, flips)
        return self._epoch[1:]

    def __getitem__(self, index: int) -> Batch:
        if index < 0 or (self.end_epoch is not None and index >= len(self)):
            raise IndexError(index)
        epoch, step = divmod(int(index), self.per_epoch)
        order, offsets, flips = self.epoch(self.start_epoch + epoch)
        chosen = order[step * self.batch_size:(step + 1) * self.batch_size]
        images = self.data.x_train[chosen]
        if self.augmenting:
            images = crop_flip(images, int(self.data.crop_padding), offsets[chosen], flips[chosen])
        return normalize(images, self.data), self.data.y_train[chosen]

    def __iter__(self) -> Iterator[Batch]:
        index = 0
        while self.end_epoch is None or index < len(self):
            yield self[index]
            index += 1


class EvalBatches:
    """Batches (x float32 normalised, y int64) of the test split in file order, no augmentation."""

    def __init__(self, data: ImageData, batch_size: int):
        check(batch_size, 0, 0, None)
        self.data, self.batch_size = data, int(batch_size)

    def __len__(self) -> int:
        return steps_per_epoch(len(self.data.y_test), self.batch_size)

    def __getitem__(self, index: int) -> Batch:
        if not 0 <= index < len(self):
            raise IndexError(index)
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return normalize(self.data.x_test[window], self.data), self.data.y_test[window]

    def __iter__(self) -> Iterator[Batch]:
        return (self[i] for i in range(len(self)))
