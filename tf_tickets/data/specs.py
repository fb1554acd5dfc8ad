"""What is known about each data set before reading a byte: classes, shape, normalisation, where to get it.

The normalisation constants and augmentation are those of the reference training set-up
(Su et al.; docs/methods.md "Training set-up"), so a run here matches a run there.
"""
import dataclasses
from typing import NamedTuple, Optional, Tuple

import numpy as np

from tf_tickets.data.image_data import ImageData
from tf_tickets.errors import TicketsError


class Arrays(NamedTuple):
    """The four arrays a source reads; `DatasetSpec.build` turns them into a validated ImageData."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    name: str
    num_classes: int
    image_shape: Tuple[int, int, int]
    mean: Tuple[float, ...]
    std: Tuple[float, ...]
    augment: str
    crop_padding: int
    files_hint: str  # what to put in --data_dir, shown in every "not found" message
    tfds_name: Optional[str] = None
    download_url: Optional[str] = None  # one file TFDS downloads, probed before downloading

    def build(self, arrays: Arrays, name: Optional[str] = None) -> ImageData:
        return ImageData(
            name=name or self.name,
            x_train=as_images(arrays.x_train, f"{self.name} x_train"),
            y_train=as_labels(arrays.y_train, f"{self.name} y_train"),
            x_test=as_images(arrays.x_test, f"{self.name} x_test"),
            y_test=as_labels(arrays.y_test, f"{self.name} y_test"),
            num_classes=self.num_classes, mean=self.mean, std=self.std,
            augment=self.augment, crop_padding=self.crop_padding)


def as_images(x: np.ndarray, what: str) -> np.ndarray:
    """uint8 NHWC; a grey NHW array gets its channel axis."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise TicketsError(f"{what} must hold uint8 pixels (0..255), got {x.dtype}; convert it before saving")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise TicketsError(f"{what} must have shape (N, H, W[, C]), got {x.shape}")
    return x


def as_labels(y: np.ndarray, what: str) -> np.ndarray:
    """int64 of shape (N,); an (N, 1) column is flattened."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TicketsError(f"{what} must be integer class ids of shape (N,), got {y.dtype} {y.shape}")
    return y.astype(np.int64)


_IDX_FILES = ("train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
              "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]")

# TFDS's download locations (one file each is probed before TFDS is asked to download)
_TORONTO = "https://www.cs.toronto.edu/~kriz/"
_CVDF = "https://storage.googleapis.com/cvdf-datasets/mnist/"
_ZALANDO = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

_CIFAR10 = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
_CIFAR100 = (0.5071, 0.4867, 0.4408), (0.2675, 0.2565, 0.2761)
_TINY = (0.4802, 0.4481, 0.3975), (0.2302, 0.2265, 0.2262)
_FASHION = (0.2860,), (0.3530,)

SPECS = {s.name: s for s in [
    DatasetSpec("cifar10", 10, (32, 32, 3), *_CIFAR10, "crop_flip", 4,
                "cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html)",
                tfds_name="cifar10", download_url=_TORONTO + "cifar-10-binary.tar.gz"),
    DatasetSpec("cifar100", 100, (32, 32, 3), *_CIFAR100, "crop_flip", 4,
                "cifar-100-python.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html)",
                tfds_name="cifar100", download_url=_TORONTO + "cifar-100-binary.tar.gz"),
    DatasetSpec("mnist", 10, (28, 28, 1), (0.1307,), (0.3081,), "none", 0,
                f"the MNIST IDX files ({_IDX_FILES})",
                tfds_name="mnist", download_url=_CVDF + "train-images-idx3-ubyte.gz"),
    DatasetSpec("fashion_mnist", 10, (28, 28, 1), *_FASHION, "none", 0,
                f"the Fashion-MNIST IDX files ({_IDX_FILES}; Debian: apt-get install dataset-fashion-mnist)",
                tfds_name="fashion_mnist",
                download_url=_ZALANDO + "train-images-idx3-ubyte.gz"),
    DatasetSpec("tiny_imagenet", 200, (64, 64, 3), *_TINY, "crop_flip", 4,
                "the extracted tiny-imagenet-200/ folder (http://cs231n.stanford.edu/tiny-imagenet-200.zip)"),
    DatasetSpec("embedded", 10, (28, 28, 1), *_FASHION, "none", 0,
                "embedded.npz (x_train, y_train, x_test, y_test), or no --data_dir for the packaged subset"),
]}
