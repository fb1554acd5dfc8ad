"""tools/make_embedded_subset.py: first examples of each class, file order kept, licence stored."""
import gzip
import importlib.util
import pathlib
import struct

import numpy as np
import pytest

TOOL = pathlib.Path(__file__).resolve().parents[1] / "tools" / "make_embedded_subset.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("make_embedded_subset", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_idx_gz(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_tool(tmp_path):
    y_train = np.array([2, 0, 0, 1, 2, 0, 1, 2, 1, 0])
    y_test = np.array([1, 0, 2, 2, 0, 1])
    x_train = np.arange(10, dtype=np.uint8)[:, None, None] * np.ones((1, 4, 4), np.uint8)
    x_test = 100 + np.arange(6, dtype=np.uint8)[:, None, None] * np.ones((1, 4, 4), np.uint8)
    src = tmp_path / "src"
    src.mkdir()
    for stem, array in [("train-images-idx3-ubyte", x_train), ("train-labels-idx1-ubyte", y_train),
                        ("t10k-images-idx3-ubyte", x_test), ("t10k-labels-idx1-ubyte", y_test)]:
        write_idx_gz(src / f"{stem}.gz", array)
    out = tmp_path / "subset.npz"
    load_tool().main([f"--source_dir={src}", f"--out={out}", "--train_per_class=2", "--test_per_class=1"])
    with np.load(out, allow_pickle=False) as f:
        assert f["x_train"].shape == (6, 4, 4, 1) and f["x_train"].dtype == np.uint8
        assert f["x_train"][:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4, 6]  # first two per class, in order
        assert f["y_train"].tolist() == [2, 0, 0, 1, 2, 1] and f["y_train"].dtype == np.int64
        assert f["x_test"][:, 0, 0, 0].tolist() == [100, 101, 102]
        assert "Zalando SE, MIT licence" in str(f["licence"])


def test_tool_too_few_per_class(tmp_path):
    tool = load_tool()
    with pytest.raises(Exception, match="fewer than 3"):
        tool.first_per_class(np.array([0, 1, 1, 0, 1, 1]), 3)
