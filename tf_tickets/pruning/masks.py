"""Masks from scores and counts, and mask files (`.npz` keyed by layer name, read without pickle)."""
import io
import os
from typing import Dict, List, Sequence

import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic_bytes


def top_k_masks(scores: Sequence[np.ndarray], counts: Sequence[int]) -> List[np.ndarray]:
    """Per layer, a 0/1 mask keeping exactly `count` highest scores (ties: the earlier position wins)."""
    masks = []
    for score, count in zip(scores, counts):
        flat = np.asarray(score, dtype=np.float64).ravel()
        count = int(count)
        if not 0 <= count <= flat.size:
            raise ValueError(f"keep count {count} outside [0, {flat.size}]")
        mask = np.zeros(flat.size, np.float32)
        if count == flat.size:
            mask[:] = 1
        elif count:
            # A stable order over (-score, position) makes ties deterministic.
            kth = np.partition(-flat, count - 1)[count - 1]
            above = np.flatnonzero(-flat < kth)
            at = np.flatnonzero(-flat == kth)[: count - above.size]
            mask[above] = 1
            mask[at] = 1
        masks.append(mask.reshape(np.shape(score)))
    return masks


def save(masks: Dict[str, np.ndarray], path: str) -> None:
    """Writes {key: mask} as a compressed .npz of uint8 arrays, atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v).astype(np.uint8) for k, v in masks.items()})
    write_atomic_bytes(path, buffer.getvalue())


def load(path: str) -> Dict[str, np.ndarray]:
    """Reads a mask file (no pickle, so a file from elsewhere cannot run code)."""
    if not os.path.isfile(path):
        raise TicketsError(f"mask file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key].astype(np.float32) for key in archive.files}
    except (ValueError, OSError) as error:
        raise TicketsError(f"cannot read mask file {path}: {str(error).splitlines()[0]}") from None
