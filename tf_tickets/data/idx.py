"""Reads the IDX files MNIST and Fashion-MNIST ship as (gzip or plain), without any third-party loader.

Format: big-endian; two zero bytes, a type byte (0x08 = uint8, the only one these sets use), the
number of dimensions, one uint32 per dimension, then the raw bytes.
"""
import gzip
import os
import zlib
from pathlib import Path
from typing import Optional

import numpy as np

from tf_tickets.data.specs import Arrays
from tf_tickets.errors import TicketsError

FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise TicketsError(f"cannot read IDX file {path}: {e}; replace it with an intact copy") from e
    return raw


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array in one IDX file's (decompressed) bytes; a TicketsError if it is not a sound uint8 IDX."""
    fix = f"; replace {source} with an intact copy"
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise TicketsError(f"{source} is not an IDX file (bad magic number){fix}")
    if raw[2] != 0x08:
        raise TicketsError(f"{source} holds IDX type 0x{raw[2]:02x}; only uint8 (0x08) files are supported")
    ndims = raw[3]
    header = 4 + 4 * ndims
    if ndims == 0 or len(raw) < header:
        raise TicketsError(f"{source} has a truncated IDX header{fix}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndims, offset=4))
    expected = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != expected:
        raise TicketsError(f"{source} should hold {expected} bytes for shape {shape} but holds "
                           f"{len(raw) - header}{fix}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_idx(path) -> np.ndarray:
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path))


def _find(directory: Path, stem: str) -> Optional[Path]:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):  # also the "train-images.idx3-ubyte" spelling
        if (directory / name).is_file():
            return directory / name
    return None


def read_dir(directory: Path) -> Optional[Arrays]:
    """The four standard IDX files in `directory`, or None when none of them is there."""
    found = {key: _find(directory, stem) for key, stem in FILES.items()}
    if not any(found.values()):
        return None
    missing = [FILES[k] + "[.gz]" for k, p in found.items() if p is None]
    if missing:
        raise TicketsError(f"{directory} holds some IDX files but lacks {', '.join(missing)}; add them")
    arrays = {key: read_idx(path) for key, path in found.items()}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise TicketsError(f"{directory}: {split} images {x.shape} and labels {y.shape} do not match; "
                               "check that the four IDX files belong together")
    return Arrays(**arrays)


def has_files(directory: str) -> bool:
    """True when `directory` holds all four IDX files (used to probe system paths quietly)."""
    d = Path(directory)
    return os.access(d, os.R_OK | os.X_OK) and all(_find(d, stem) for stem in FILES.values())
