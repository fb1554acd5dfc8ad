"""Corrupted copies of a data set for the sanity checks (random labels, random pixels, less data).

Pure numpy functions: each returns a new ImageData and leaves its input untouched; the test split
is never changed, so test accuracy measures what the network learnt about the real task.
"""
import numpy as np

from tf_tickets.data.image_data import ImageData
from tf_tickets.errors import TicketsError


def _check_fraction(fraction, low_open: bool, what: str) -> float:
    fraction = float(fraction)
    ok = (0.0 < fraction <= 1.0) if low_open else (0.0 <= fraction <= 1.0)
    if not ok:
        raise TicketsError(f"{what} fraction must be in {'(0, 1]' if low_open else '[0, 1]'}, got {fraction}")
    return fraction


def random_labels(data: ImageData, fraction: float = 1.0, seed: int = 0) -> ImageData:
    """Exactly int(round(fraction*N)) training examples (chosen by `seed`) get a label drawn uniformly
    from all classes. The draw may equal the true label (about 1/num_classes of the time), as in the
    reference, so the share of wrong labels is about fraction*(1 - 1/num_classes)."""
    fraction = _check_fraction(fraction, low_open=False, what="random_labels")
    n = len(data.y_train)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n, size=int(round(fraction * n)), replace=False)
    labels = data.y_train.copy()
    labels[chosen] = rng.integers(0, data.num_classes, size=len(chosen), dtype=np.int64)
    return data.replace(y_train=labels)


def random_pixels(data: ImageData, seed: int = 0, randomize_labels: bool = True,
                  chunk: int = 4096) -> ImageData:
    """Each training image's H*W pixel positions shuffled by its own independent permutation (the
    channels of a pixel move together); labels also randomised by default, as in the reference."""
    pixel_seed, label_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(pixel_seed)
    n, h, w, c = data.x_train.shape
    flat = data.x_train.reshape(n, h * w, c)
    images = np.empty_like(flat)
    positions = np.arange(h * w, dtype=np.int32)
    for start in range(0, n, chunk):  # chunks bound the (chunk, H*W) permutation table
        stop = min(start + chunk, n)
        perms = rng.permuted(np.tile(positions, (stop - start, 1)), axis=1)
        images[start:stop] = np.take_along_axis(flat[start:stop], perms[..., None], axis=1)
    shuffled = data.replace(x_train=images.reshape(n, h, w, c))
    if randomize_labels:
        label_seed_int = int(label_seed.generate_state(1, np.uint64)[0])
        shuffled = random_labels(shuffled, 1.0, seed=label_seed_int)
    return shuffled


def subsample(data: ImageData, fraction: float = 0.5, seed: int = 0) -> ImageData:
    """A fixed subset of exactly int(fraction*N) training examples (same seed, same subset), kept in
    their original order."""
    fraction = _check_fraction(fraction, low_open=True, what="subsample")
    n = len(data.y_train)
    size = int(fraction * n)
    if size < 1:
        raise TicketsError(f"subsample fraction {fraction} of {n} examples keeps none; raise the fraction")
    keep = np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
    return data.replace(x_train=data.x_train[keep], y_train=data.y_train[keep])
