"""Reads the extracted Tiny-ImageNet-200 folder (train/<wnid>/images/*.JPEG, val/ + val_annotations.txt).

Class ids follow the sorted wnids, as a PyTorch ImageFolder over train/ numbers them; the labelled
val split serves as the test set (the official test split has no labels). JPEGs are decoded in
parallel by tf.data, grayscale ones expanded to three channels.
"""
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from tf_tickets.data.specs import Arrays
from tf_tickets.errors import TicketsError

FOLDER = "tiny-imagenet-200"


def _decode_all(paths: List[str], where: Path) -> np.ndarray:
    from tf_tickets.backend import tf

    def decode(path):
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        return tf.ensure_shape(image, [64, 64, 3])

    ds = tf.data.Dataset.from_tensor_slices(paths).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    try:
        batches = [b.numpy() for b in ds.batch(4096)]
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
        raise TicketsError(f"cannot decode an image under {where} ({e.message.splitlines()[0]}); "
                           "extract tiny-imagenet-200.zip again") from e
    return np.concatenate(batches) if batches else np.zeros((0, 64, 64, 3), np.uint8)


def _train_files(root: Path, classes: dict) -> Tuple[List[str], List[int]]:
    paths, labels = [], []
    for wnid, label in classes.items():
        files = sorted((root / "train" / wnid / "images").glob("*.JPEG"))
        if not files:
            raise TicketsError(f"{root}/train/{wnid}/images holds no JPEG files; extract the archive again")
        paths += [str(f) for f in files]
        labels += [label] * len(files)
    return paths, labels


def _val_files(root: Path, classes: dict) -> Tuple[List[str], List[int]]:
    annotations = root / "val" / "val_annotations.txt"
    if not annotations.is_file():
        raise TicketsError(f"{annotations} is missing; extract tiny-imagenet-200.zip again")
    paths, labels = [], []
    for line in annotations.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        if fields[1] not in classes:
            raise TicketsError(f"{annotations} names class {fields[1]!r}, which is not in wnids.txt")
        paths.append(str(root / "val" / "images" / fields[0]))
        labels.append(classes[fields[1]])
    return paths, labels


def read_dir(directory: Path) -> Optional[Arrays]:
    """Tiny-ImageNet from `directory`/tiny-imagenet-200 (or `directory` itself), or None if absent."""
    root = next((d for d in (directory / FOLDER, directory) if (d / "wnids.txt").is_file()), None)
    if root is None:
        return None
    wnids = [w.strip() for w in (root / "wnids.txt").read_text().split() if w.strip()]
    classes = {wnid: i for i, wnid in enumerate(sorted(wnids))}
    x_train_paths, y_train = _train_files(root, classes)
    x_test_paths, y_test = _val_files(root, classes)
    return Arrays(_decode_all(x_train_paths, root), np.array(y_train, np.int64),
                  _decode_all(x_test_paths, root), np.array(y_test, np.int64))
