"""CIFAR python archives: genuine layout and channel order, extracted folders, and refused pickles."""
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from tf_tickets.data import load, safe_pickle
from tf_tickets.errors import TicketsError


def planar_rows(images: np.ndarray) -> np.ndarray:
    """NHWC -> CIFAR rows: the R plane, then G, then B, each 32x32 row-major."""
    return images.transpose(0, 3, 1, 2).reshape(len(images), 3072)


def fake_images(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def batch_pickle(images, labels, labels_key, old_numpy_names=False):
    batch = {b"batch_label": b"fake batch", labels_key: [int(v) for v in labels],
             b"data": planar_rows(images), b"filenames": [b"img%d.png" % i for i in range(len(images))]}
    raw = pickle.dumps(batch, protocol=2)
    if old_numpy_names:  # the official files were written by Python 2 with numpy 1.x
        raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    return raw


def write_tar(path, folder, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def cifar10_files(per_batch=4):
    files, x, y = {}, {"train": [], "test": []}, {"train": [], "test": []}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        split = "test" if name == "test_batch" else "train"
        images, labels = fake_images(per_batch, i), (np.arange(per_batch) + i) % 10
        files[name] = batch_pickle(images, labels, b"labels", old_numpy_names=True)
        x[split].append(images)
        y[split].append(labels)
    files["batches.meta"] = pickle.dumps({b"label_names": [b"airplane"] * 10, b"num_vis": 3072}, protocol=2)
    files["readme.html"] = b"<html></html>"
    return files, {k: np.concatenate(v) for k, v in x.items()}, {k: np.concatenate(v) for k, v in y.items()}


def test_cifar10_archive(tmp_path):
    files, x, y = cifar10_files()
    write_tar(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    data = load("cifar10", data_dir=str(tmp_path))
    assert data.x_train.shape == (20, 32, 32, 3) and data.x_test.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(data.x_train, x["train"])
    np.testing.assert_array_equal(data.y_train, y["train"])
    np.testing.assert_array_equal(data.x_test, x["test"])
    assert data.num_classes == 10 and data.augment == "crop_flip" and data.crop_padding == 4


def test_channel_layout(tmp_path):
    """Row = R plane, G plane, B plane; pixel (i, j) of a plane is at i*32 + j."""
    row = np.zeros(3072, np.uint8)
    row[0 * 1024 + 1 * 32 + 2] = 11  # R at (1, 2)
    row[1 * 1024 + 3 * 32 + 4] = 22  # G at (3, 4)
    row[2 * 1024 + 31 * 32 + 0] = 33  # B at (31, 0)
    raw = pickle.dumps({b"data": row[None], b"labels": [7]}, protocol=2)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(raw)
    data = load("cifar10", data_dir=str(tmp_path))
    image = data.x_train[0]
    assert image[1, 2, 0] == 11 and image[3, 4, 1] == 22 and image[31, 0, 2] == 33
    assert image.sum() == 11 + 22 + 33 and data.y_train.tolist() == [7] * 5


def test_cifar10_extracted_folder_itself(tmp_path):
    files, x, _ = cifar10_files()
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
    np.testing.assert_array_equal(load("cifar10", data_dir=tmp_path).x_train, x["train"])


def test_cifar100_archive(tmp_path):
    train, test = fake_images(6, 1), fake_images(3, 2)
    files = {"train": batch_pickle(train, [99, 0, 5, 50, 1, 2], b"fine_labels"),
             "test": batch_pickle(test, [3, 98, 7], b"fine_labels"),
             "meta": pickle.dumps({b"fine_label_names": [b"x"] * 100})}
    write_tar(tmp_path / "cifar-100-python.tar.gz", "cifar-100-python", files)
    data = load("cifar100", data_dir=str(tmp_path))
    np.testing.assert_array_equal(data.x_train, train)
    assert data.y_train.tolist() == [99, 0, 5, 50, 1, 2] and data.y_test.tolist() == [3, 98, 7]
    assert data.num_classes == 100 and data.mean == (0.5071, 0.4867, 0.4408)


def test_cifar100_uses_fine_labels(tmp_path):
    raw = pickle.dumps({b"data": planar_rows(fake_images(2, 0)), b"coarse_labels": [1, 2]})
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_bytes(raw)
    (folder / "test").write_bytes(raw)
    with pytest.raises(TicketsError, match="no 'fine_labels' entry"):
        load("cifar100", data_dir=tmp_path)


def test_labels_out_of_range(tmp_path):
    files, _, _ = cifar10_files()
    files["test_batch"] = batch_pickle(fake_images(2, 0), [3, 10], b"labels")
    write_tar(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(TicketsError, match=r"outside \[0, 10\)"):
        load("cifar10", data_dir=tmp_path)


class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickle_refused(tmp_path):
    marker = tmp_path / "pwned"
    files, _, _ = cifar10_files()
    files["data_batch_3"] = pickle.dumps({b"data": Exploit(marker), b"labels": [0]}, protocol=2)
    write_tar(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(TicketsError, match=r"refusing to unpickle .*data_batch_3.*(posix|os)\.system"):
        load("cifar10", data_dir=tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    pickle.dumps(Exploit("/tmp/never"), protocol=0),
    b"cbuiltins\neval\n(S'1+1'\ntR.",
    b"c__builtin__\nopen\n(S'/etc/passwd'\ntR.",
])
def test_restricted_unpickler_refuses_globals(payload):
    with pytest.raises(TicketsError, match="refusing to unpickle"):
        safe_pickle.loads(payload, "payload")


def test_restricted_unpickler_allows_arrays():
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for protocol in (2, 4, 5):
        out = safe_pickle.loads(pickle.dumps({b"data": array, "n": [1, 2]}, protocol=protocol), "ok")
        np.testing.assert_array_equal(out[b"data"], array)


def test_truncated_archive(tmp_path):
    files, _, _ = cifar10_files()
    write_tar(tmp_path / "full.tar.gz", "cifar-10-batches-py", files)
    (tmp_path / "cifar-10-python.tar.gz").write_bytes((tmp_path / "full.tar.gz").read_bytes()[:500])
    with pytest.raises(TicketsError, match="cifar-10-python.tar.gz"):
        load("cifar10", data_dir=tmp_path)


def test_truncated_pickle(tmp_path):
    files, _, _ = cifar10_files()
    files["test_batch"] = files["test_batch"][:100]
    write_tar(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(TicketsError, match="cannot unpickle .*test_batch"):
        load("cifar10", data_dir=tmp_path)
