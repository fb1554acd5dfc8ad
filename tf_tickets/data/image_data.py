"""The in-memory image data set every other part of tf_tickets trains and evaluates on.

(A user's own `tf.data` pipeline arrives here as float32 images it has already preprocessed: see
`tf_tickets.data.user`; then the input pipeline leaves them as they are.)

Images stay uint8 NHWC (small, exact, cheap to permute or subsample); normalisation happens in the
input pipeline. Construction validates everything once, so later code can trust the arrays.
"""
import dataclasses
from typing import Tuple

import numpy as np

from tf_tickets.errors import TicketsError

AUGMENTATIONS = ("crop_flip", "none")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ImageData:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    mean: Tuple[float, ...]
    std: Tuple[float, ...]
    augment: str = "none"
    crop_padding: int = 0

    def __post_init__(self):
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))
        _validate(self)

    @property
    def input_shape(self) -> Tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    def replace(self, **changes) -> "ImageData":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self):
        return (f"ImageData({self.name!r}, train={len(self.y_train)}, test={len(self.y_test)}, "
                f"input_shape={self.input_shape}, num_classes={self.num_classes})")


def _validate(d: ImageData) -> None:
    for split in ("train", "test"):
        x, y = getattr(d, f"x_{split}"), getattr(d, f"y_{split}")
        if not isinstance(x, np.ndarray) or x.dtype not in (np.uint8, np.float32) or x.ndim != 4:
            raise TicketsError(f"{d.name}: x_{split} must be a uint8 (or preprocessed float32) array of shape "
                               f"(N, H, W, C), got {getattr(x, 'dtype', type(x))} {getattr(x, 'shape', '')}")
        if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.ndim != 1:
            raise TicketsError(f"{d.name}: y_{split} must be an int64 array of shape (N,), "
                               f"got {getattr(y, 'dtype', type(y))} {getattr(y, 'shape', '')}")
        if len(x) != len(y):
            raise TicketsError(f"{d.name}: x_{split} has {len(x)} images but y_{split} has {len(y)} labels")
        if len(y) and (y.min() < 0 or y.max() >= d.num_classes):
            raise TicketsError(f"{d.name}: y_{split} holds labels in [{y.min()}, {y.max()}], "
                               f"outside [0, {d.num_classes}); check the files or the dataset name")
    if len(d.y_train) == 0:
        raise TicketsError(f"{d.name}: the training split is empty")
    if d.x_train.shape[1:] != d.x_test.shape[1:]:
        raise TicketsError(f"{d.name}: train images are {d.x_train.shape[1:]} but test images are "
                           f"{d.x_test.shape[1:]}; both splits must have one shape")
    channels = d.x_train.shape[-1]
    if len(d.mean) != channels or len(d.std) != channels or min(d.std) <= 0:
        raise TicketsError(f"{d.name}: need one mean and one positive std per channel ({channels}), "
                           f"got mean={d.mean} std={d.std}")
    if d.augment not in AUGMENTATIONS:
        raise TicketsError(f"{d.name}: augment must be one of {AUGMENTATIONS}, got {d.augment!r}")
    if int(d.crop_padding) != d.crop_padding or d.crop_padding < 0:
        raise TicketsError(f"{d.name}: crop_padding must be a non-negative integer, got {d.crop_padding!r}")
