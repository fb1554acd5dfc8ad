"""Atomic file writes: a temporary file in the same directory, then `os.replace`.

A process killed at any moment leaves either the old file or the new one, never half of one.
`create_exclusive` writes a file only if none is there, so that of several processes racing for it
(on one machine or on several sharing a filesystem) exactly one wins.
"""
import csv
import errno
import io
import json
import os
import tempfile
from typing import Any, Dict, List, Optional


def write_atomic(path: str, text: str) -> None:
    write_atomic_bytes(path, text.encode("utf-8"))


def write_json(path: str, obj: Any) -> None:
    write_atomic(path, json_text(obj))


def json_text(obj: Any) -> str:
    """`obj` as `write_json` writes it."""
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def read_json(path: str) -> Optional[Any]:
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_csv(path: str, rows: List[Dict[str, Any]]) -> None:
    write_atomic(path, csv_text(rows))


def csv_text(rows: List[Dict[str, Any]], lineterminator: str = "\r\n") -> str:
    """`rows` as CSV, one column per key in the order the rows first name them."""
    fields: List[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator=lineterminator)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_atomic_bytes(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def create_exclusive(path: str, text: str) -> bool:
    """Writes `text` to `path` if no file is there (True), else leaves the file there alone (False).

    The complete file is written under a temporary name and hard-linked to `path`: a link, like a rename,
    appears at once, but fails if the name is taken, on local filesystems and on NFS (v3 and later) alike.
    NFS may answer a retransmitted link that did succeed with "exists": the temporary file's link count
    tells. Filesystems without hard links get `O_CREAT | O_EXCL`, whose file is empty for a moment.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return os.stat(tmp).st_nlink == 2
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
                raise
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        return True
    finally:
        os.remove(tmp)
