"""IDX reader: the real MNIST / Fashion-MNIST files, and corrupt or truncated ones."""
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tf_tickets.data import idx
from tf_tickets.errors import TicketsError


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_byte, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.mark.parametrize("which", ["mnist_dir", "fashion_mnist_dir"])
def test_real_files(which, request):
    arrays = idx.read_dir(Path(request.getfixturevalue(which)))
    assert arrays.x_train.shape == (60000, 28, 28) and arrays.x_test.shape == (10000, 28, 28)
    assert arrays.y_train.shape == (60000,) and arrays.y_test.shape == (10000,)
    assert arrays.x_train.dtype == np.uint8 and arrays.y_train.dtype == np.uint8
    assert set(np.unique(arrays.y_train)) == set(range(10)) == set(np.unique(arrays.y_test))
    assert arrays.x_train.max() == 255 and arrays.x_train.min() == 0


def test_round_trip_plain_and_gzip(tmp_path):
    a = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    (tmp_path / "a").write_bytes(idx_bytes(a))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a"), a)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a.gz"), a)


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-1], "should hold"),                   # truncated data
    (lambda b: b + b"\x00", "should hold"),              # trailing garbage
    (lambda b: b"\x01" + b[1:], "bad magic"),            # wrong magic
    (lambda b: b[:2] + b"\x0d" + b[3:], "type 0x0d"),    # float32 IDX: unsupported
    (lambda b: b[:6], "truncated IDX header"),
    (lambda b: b"", "bad magic"),
])
def test_corrupt_file(tmp_path, damage, message):
    path = tmp_path / "x"
    path.write_bytes(damage(idx_bytes(np.zeros((4, 2, 2), np.uint8))))
    with pytest.raises(TicketsError, match=message):
        idx.read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((50, 28, 28), np.uint8)))[:-20])
    with pytest.raises(TicketsError, match="cannot read IDX file"):
        idx.read_idx(path)


def test_incomplete_set_names_missing_files(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((2, 2, 2), np.uint8)))
    with pytest.raises(TicketsError, match="t10k-labels-idx1-ubyte"):
        idx.read_dir(tmp_path)


def test_mismatched_counts(tmp_path):
    for stem, array in [("train-images-idx3-ubyte", np.zeros((3, 2, 2))), ("train-labels-idx1-ubyte", np.zeros(2)),
                        ("t10k-images-idx3-ubyte", np.zeros((1, 2, 2))), ("t10k-labels-idx1-ubyte", np.zeros(1))]:
        (tmp_path / stem).write_bytes(idx_bytes(array))
    with pytest.raises(TicketsError, match="do not match"):
        idx.read_dir(tmp_path)
