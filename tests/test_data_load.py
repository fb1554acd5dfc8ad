"""load(): the packaged subset, local directories (IDX, npz), the Debian path, and the error messages."""
import os
import pathlib

import numpy as np
import pytest

from tf_tickets.data import DATASETS, ImageData, datasets, embedded, load, names
from tf_tickets.errors import TicketsError

PACKAGE = pathlib.Path(datasets.__file__).parent


def test_names():
    assert names() == sorted(["cifar10", "cifar100", "embedded", "fashion_mnist", "mnist", "tiny_imagenet"])
    assert "embedded" in DATASETS


def test_embedded_default():
    data = load()
    assert data.name == "embedded" and data.num_classes == 10
    assert data.x_train.shape == (6000, 28, 28, 1) and data.x_test.shape == (2000, 28, 28, 1)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    assert np.bincount(data.y_train).tolist() == [600] * 10
    assert np.bincount(data.y_test).tolist() == [200] * 10
    assert data.input_shape == (28, 28, 1)
    assert data.mean == (0.2860,) and data.std == (0.3530,) and data.augment == "none"
    assert data.crop_padding == 0


def test_embedded_is_real_fashion_mnist(fashion_mnist_dir):
    """The subset is the first 600/200 images of each class of the real set, file order kept."""
    full, sub = load("fashion_mnist", fashion_mnist_dir), load("embedded")
    keep = np.sort(np.concatenate([np.flatnonzero(full.y_train == c)[:600] for c in range(10)]))
    np.testing.assert_array_equal(sub.x_train, full.x_train[keep])
    np.testing.assert_array_equal(sub.y_train, full.y_train[keep])
    with np.load(PACKAGE / "embedded" / embedded.FILE, allow_pickle=False) as f:
        assert str(f["licence"]) == "Fashion-MNIST, Copyright (c) 2017 Zalando SE, MIT licence"
    assert (PACKAGE / "embedded" / embedded.FILE).stat().st_size < 4_000_000


@pytest.mark.parametrize("name, which, mean", [("fashion_mnist", "fashion_mnist_dir", 0.2860),
                                               ("mnist", "mnist_dir", 0.1307)])
def test_idx_directory(name, which, mean, request):
    data = load(name, data_dir=request.getfixturevalue(which))
    assert data.name == name and data.x_train.shape == (60000, 28, 28, 1) and data.y_test.shape == (10000,)
    assert data.mean == (mean,) and data.augment == "none"
    # the stated mean is the real data's mean
    assert abs(data.x_train.mean() / 255 - mean) < 1e-3


def test_debian_path(fashion_mnist_dir, monkeypatch):
    monkeypatch.setitem(datasets.SYSTEM_DIRS, "fashion_mnist", ["/nonexistent/fashion", fashion_mnist_dir])
    assert load("fashion_mnist").x_train.shape == (60000, 28, 28, 1)


def save_npz(path, n=30, shape=(8, 8), classes=10, **override):
    rng = np.random.default_rng(0)
    arrays = dict(x_train=rng.integers(0, 256, (n, *shape), dtype=np.uint8), y_train=np.arange(n) % classes,
                  x_test=rng.integers(0, 256, (5, *shape), dtype=np.uint8), y_test=np.arange(5) % classes)
    arrays.update(override)
    np.savez(path, **arrays)
    return arrays


@pytest.mark.parametrize("file_name", ["cifar10.npz", "data.npz"])
def test_npz(tmp_path, file_name):
    arrays = save_npz(tmp_path / file_name, shape=(32, 32, 3))
    data = load("cifar10", data_dir=str(tmp_path))
    np.testing.assert_array_equal(data.x_train, arrays["x_train"])
    assert data.y_train.dtype == np.int64 and data.augment == "crop_flip" and data.crop_padding == 4
    assert data.mean == (0.4914, 0.4822, 0.4465) and data.std == (0.2023, 0.1994, 0.2010)


def test_npz_grey_gets_channel_axis(tmp_path):
    save_npz(tmp_path / "mnist.npz", shape=(28, 28))
    assert load("mnist", data_dir=tmp_path).input_shape == (28, 28, 1)


def test_npz_embedded_from_dir(tmp_path):
    save_npz(tmp_path / "embedded.npz", shape=(28, 28))
    assert len(load("embedded", data_dir=tmp_path).y_train) == 30


@pytest.mark.parametrize("override, message", [
    (dict(y_train=np.arange(30) % 10 + 1), r"outside \[0, 10\)"),
    (dict(y_test=-np.ones(5, np.int64)), r"outside \[0, 10\)"),
    (dict(x_train=np.zeros((30, 8, 8), np.float32)), "uint8"),
    (dict(y_train=np.zeros(29, np.int64)), "30 images but y_train has 29"),
    (dict(x_test=np.zeros((5, 9, 9), np.uint8)), "one shape"),
])
def test_npz_bad_arrays(tmp_path, override, message):
    save_npz(tmp_path / "mnist.npz", **override)
    with pytest.raises(TicketsError, match=message):
        load("mnist", data_dir=tmp_path)


def test_npz_missing_keys_and_objects(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(TicketsError, match="lacks the arrays y_train, x_test, y_test"):
        load("mnist", data_dir=tmp_path)
    save_npz(tmp_path / "mnist.npz", y_train=np.array([object()] * 30))
    with pytest.raises(TicketsError, match="not objects"):
        load("mnist", data_dir=tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"not a zip")
    with pytest.raises(TicketsError, match="cannot read"):
        load("mnist", data_dir=tmp_path)


def test_missing_dir(tmp_path):
    with pytest.raises(TicketsError, match="nowhere.*does not exist"):
        load("mnist", data_dir=str(tmp_path / "nowhere"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(TicketsError, match="not a directory"):
        load("mnist", data_dir=str(tmp_path / "file"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
def test_unreadable_dir(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    try:
        with pytest.raises(TicketsError, match="not readable"):
            load("mnist", data_dir=str(locked))
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("name, expected", [("mnist", "t10k-labels-idx1-ubyte"),
                                            ("cifar10", "cifar-10-python.tar.gz"),
                                            ("cifar100", "cifar-100-python.tar.gz"),
                                            ("tiny_imagenet", "tiny-imagenet-200"),
                                            ("embedded", "embedded.npz")])
def test_empty_dir_lists_expected_files(tmp_path, name, expected):
    with pytest.raises(TicketsError, match=f"no {name} data in .*{expected}.*data.npz"):
        load(name, data_dir=str(tmp_path))


def test_unknown_name():
    with pytest.raises(TicketsError, match="unknown dataset 'imagenet'; known: cifar10"):
        load("imagenet")


def test_tiny_imagenet_has_no_download():
    with pytest.raises(TicketsError, match="--data_dir"):
        load("tiny_imagenet")


def test_image_data_replace_and_validation():
    data = load()
    smaller = data.replace(x_train=data.x_train[:10], y_train=data.y_train[:10])
    assert isinstance(smaller, ImageData) and len(smaller.y_train) == 10 and len(data.y_train) == 6000
    with pytest.raises(TicketsError, match="augment must be one of"):
        data.replace(augment="mixup")
    with pytest.raises(TicketsError, match="one mean and one positive std per channel"):
        data.replace(mean=(0.1, 0.2, 0.3))
    assert "embedded" in repr(data) and "6000" in repr(data)


def test_package_never_reads_shared():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "/work/shared" not in text and "../shared" not in text, path
