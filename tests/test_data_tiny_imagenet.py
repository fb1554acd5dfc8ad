"""Tiny-ImageNet: the extracted folder layout, sorted wnids as class ids, grayscale JPEGs made RGB."""
import numpy as np
import pytest

from tf_tickets.backend import tf
from tf_tickets.data import load
from tf_tickets.errors import TicketsError

WNIDS = ["n02", "n01", "n03"]  # wnids.txt is not sorted; class ids follow the sorted order


def write_jpeg(path, value, channels=3):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((64, 64, channels), value, np.uint8)
    path.write_bytes(tf.io.encode_jpeg(image, quality=100).numpy())


def make_tree(root):
    (root / "wnids.txt").parent.mkdir(parents=True)
    (root / "wnids.txt").write_text("\n".join(WNIDS) + "\n")
    for c, wnid in enumerate(WNIDS):
        for k in range(2):
            write_jpeg(root / "train" / wnid / "images" / f"{wnid}_{k}.JPEG", 40 * c + 10 * k,
                       channels=1 if (c, k) == (0, 1) else 3)
    lines = []
    for k, wnid in enumerate(["n03", "n01"]):
        write_jpeg(root / "val" / "images" / f"val_{k}.JPEG", 200 + k)
        lines.append(f"val_{k}.JPEG\t{wnid}\t0\t0\t63\t63")
    (root / "val" / "val_annotations.txt").write_text("\n".join(lines) + "\n")


def test_tiny_imagenet_folder(tmp_path):
    make_tree(tmp_path / "tiny-imagenet-200")
    data = load("tiny_imagenet", data_dir=str(tmp_path))
    assert data.x_train.shape == (6, 64, 64, 3) and data.x_test.shape == (2, 64, 64, 3)
    assert data.num_classes == 200 and data.augment == "crop_flip" and data.crop_padding == 4
    # n01 -> 0, n02 -> 1, n03 -> 2; train files are read class by class in sorted order
    assert data.y_train.tolist() == [0, 0, 1, 1, 2, 2] and data.y_test.tolist() == [2, 0]
    means = data.x_train.reshape(6, -1).mean(axis=1)
    np.testing.assert_allclose(means, [40, 50, 0, 10, 80, 90], atol=2)  # n01 = 2nd wnid written
    grey = data.x_train[3]  # n02 image 1 was written grayscale
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()


def test_tiny_imagenet_corrupt_jpeg(tmp_path):
    root = tmp_path / "tiny-imagenet-200"
    make_tree(root)
    (root / "val" / "images" / "val_1.JPEG").write_bytes(b"not a jpeg")
    with pytest.raises(TicketsError, match="cannot decode an image"):
        load("tiny_imagenet", data_dir=str(root))
