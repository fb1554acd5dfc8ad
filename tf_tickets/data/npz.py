"""Reads a data set saved as one NumPy .npz (x_train, y_train, x_test, y_test): the escape hatch for any set.

Loaded with allow_pickle=False, so an .npz cannot carry code.
"""
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from tf_tickets.data.specs import Arrays
from tf_tickets.errors import TicketsError

KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_file(path: Path) -> Arrays:
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in KEYS if k not in f.files]
            if missing:
                raise TicketsError(f"{path} lacks the arrays {', '.join(missing)}; "
                                   f"save it with np.savez(path, {', '.join(k + '=...' for k in KEYS)})")
            return Arrays(*(f[k] for k in KEYS))
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise TicketsError(f"cannot read {path} ({e}); save it again with np.savez") from e
    except ValueError as e:  # object arrays need pickle, which is refused
        if isinstance(e, TicketsError):
            raise
        raise TicketsError(f"cannot read {path} ({e}); save plain numeric arrays, not objects") from e


def read_dir(directory: Path, name: str) -> Optional[Arrays]:
    """`<name>.npz` or `data.npz` in `directory`, or None if neither is there."""
    for candidate in (directory / f"{name}.npz", directory / "data.npz"):
        if candidate.is_file():
            return read_file(candidate)
    return None
