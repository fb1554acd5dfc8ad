"""Loads a data set through TensorFlow Datasets: the normal path on a machine with a network.

A set already prepared in the TFDS data dir (`TFDS_DATA_DIR`, else TFDS's default) loads without
a network. Otherwise TFDS would download it; we first check within seconds that the download
server is reachable, and fail with a one-line message saying where to put the files if it is not.
"""
import os
from typing import Optional

import numpy as np

from tf_tickets.data import netprobe
from tf_tickets.data.specs import Arrays, DatasetSpec
from tf_tickets.errors import TicketsError


def _offline_message(spec: DatasetSpec) -> str:
    return (f"{spec.name} is not available offline: put {spec.files_hint} in a directory and pass "
            f"--data_dir=DIR, or run once on a networked machine so TFDS can download it")


def data_dir() -> Optional[str]:
    """TFDS's data dir, read at call time (TFDS reads TFDS_DATA_DIR only once, at import)."""
    return os.environ.get("TFDS_DATA_DIR") or None


def read(spec: DatasetSpec) -> Arrays:
    """All of `spec`'s train and test examples as arrays, downloading only if the server is reachable."""
    import tensorflow_datasets as tfds  # slow to import: only when this path is taken

    tfds_dir = data_dir()
    prepared = tfds.builder(spec.tfds_name, data_dir=tfds_dir).is_prepared()
    if not prepared and not netprobe.can_reach(spec.download_url):
        hint = "" if netprobe.forced() else (f" (no answer from {spec.download_url}; "
                                             "TF_TICKETS_OFFLINE=0 skips this check)")
        raise TicketsError(_offline_message(spec) + hint)
    try:
        splits = tfds.load(spec.tfds_name, split=["train", "test"], as_supervised=True,
                           data_dir=tfds_dir, download=not prepared)
    except Exception as e:  # TFDS raises many kinds (ConnectionError, DownloadError, NonMatchingChecksumError)
        if isinstance(e, TicketsError):
            raise
        raise TicketsError(f"{_offline_message(spec)} (TFDS said: {type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else ''})") from e
    return Arrays(*_to_numpy(splits[0], spec), *_to_numpy(splits[1], spec))


def _to_numpy(split, spec: DatasetSpec):
    """(images, labels) of one split. Batched by hand: TFDS's batch_size=-1 needs split sizes in its
    metadata, and asks TensorFlow for a batch of sys.maxsize (a crash) when they are unknown."""
    import tensorflow_datasets as tfds

    images, labels = [], []
    for x, y in tfds.as_numpy(split.batch(8192)):
        images.append(x)
        labels.append(y)
    if not images:
        raise TicketsError(f"TFDS returned an empty split for {spec.name}; delete its folder in the "
                           "TFDS data dir and load it again")
    return np.concatenate(images), np.concatenate(labels)
