"""Reads the original CIFAR-10/100 "python version" archives (or their extracted folders).

Each batch is a pickled dict: b"data" uint8 (N, 3072), rows being the R plane, then G, then B, each
32x32 row-major; labels under b"labels" (CIFAR-10) or b"fine_labels" (CIFAR-100). Archives are read
member by member without extracting, and every pickle goes through the restricted unpickler.
"""
import tarfile
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np

from tf_tickets.data import safe_pickle
from tf_tickets.data.specs import Arrays
from tf_tickets.errors import TicketsError

LAYOUT = {
    "cifar10": dict(archive="cifar-10-python.tar.gz", folder="cifar-10-batches-py",
                    train=[f"data_batch_{i}" for i in range(1, 6)], test=["test_batch"], labels="labels"),
    "cifar100": dict(archive="cifar-100-python.tar.gz", folder="cifar-100-python",
                     train=["train"], test=["test"], labels="fine_labels"),
}


def _get(batch: dict, key: str, source: str):
    for k in (key.encode(), key):
        if isinstance(batch, dict) and k in batch:
            return batch[k]
    raise TicketsError(f"{source} has no {key!r} entry; is it really a CIFAR python batch?")


def decode_batch(batch: dict, labels_key: str, source: str):
    """(images uint8 NHWC, labels int64) from one unpickled batch."""
    data = np.asarray(_get(batch, "data", source))
    labels = np.asarray(_get(batch, labels_key, source))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise TicketsError(f"{source}: 'data' should be uint8 of shape (N, 3072), got {data.dtype} {data.shape}")
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise TicketsError(f"{source}: {labels_key!r} should be {len(data)} integer labels, got {labels.shape}")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int64)


def _assemble(read: Callable[[str], bytes], layout: Dict, where: str) -> Arrays:
    out = {}
    for split in ("train", "test"):
        parts = [decode_batch(safe_pickle.loads(read(member), f"{where}/{member}"), layout["labels"],
                              f"{where}/{member}") for member in layout[split]]
        out[f"x_{split}"] = np.concatenate([p[0] for p in parts])
        out[f"y_{split}"] = np.concatenate([p[1] for p in parts])
    return Arrays(**out)


def _from_archive(path: Path, layout: Dict) -> Arrays:
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}

            def read(member):
                if member not in members:
                    raise TicketsError(f"{path} has no {member}; use the official {layout['archive']}")
                return tar.extractfile(members[member]).read()

            return _assemble(read, layout, str(path))
    except (tarfile.TarError, OSError, EOFError) as e:
        raise TicketsError(f"cannot read {path} ({e}); download {layout['archive']} again") from e


def _from_folder(folder: Path, layout: Dict) -> Arrays:
    def read(member):
        try:
            return (folder / member).read_bytes()
        except OSError as e:
            raise TicketsError(f"cannot read {folder / member} ({e.strerror}); "
                               f"extract {layout['archive']} again") from e

    return _assemble(read, layout, str(folder))


def read_dir(directory: Path, name: str) -> Optional[Arrays]:
    """The CIFAR set `name` from `directory` (archive, extracted folder, or the folder itself), or None."""
    layout = LAYOUT[name]
    if (directory / layout["archive"]).is_file():
        return _from_archive(directory / layout["archive"], layout)
    for folder in (directory / layout["folder"], directory):
        if (folder / layout["test"][0]).is_file():
            return _from_folder(folder, layout)
    return None
