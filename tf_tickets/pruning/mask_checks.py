"""The mask-side sanity checks as operations on a model carrying masks, for any Keras (tf_keras, or Keras 3 on
any backend; no framework imported): `rearrange_masks`, `shuffle_masks_globally`, `shuffle_weights`.
`tf_tickets.callbacks.checks` applies them at the first step of a run."""
import numpy as np

from tf_tickets.pruning.carriers import apply_masks, targets
from tf_tickets.pruning.weights import restore


def rearrange_masks(model, seed: int, weights=None) -> None:
    """Permutes each layer's mask. The newly kept positions need their unmasked values (the old mask
    zeroed them), so `weights`, a snapshot of the unmasked weights, is restored under the new masks."""
    rng = np.random.default_rng(seed)
    for target in targets(model):
        values = target.mask.numpy()
        target.mask.assign(rng.permutation(values.ravel()).reshape(values.shape))
    if weights is not None:
        restore(model, weights)
    apply_masks(model)


def shuffle_masks_globally(model, seed: int, weights=None) -> None:
    """Permutes all masks together, across layers (open_lth's other random-pruning branch): the total
    count is kept, each layer's count is lost. Newly kept positions get their unmasked `weights`."""
    found = targets(model)
    values = np.concatenate([t.mask.numpy().ravel() for t in found])
    values = np.random.default_rng(seed).permutation(values)
    start = 0
    for target in found:
        size = int(np.prod(target.mask.shape))
        target.mask.assign(values[start:start + size].reshape(target.mask.shape))
        start += size
    if weights is not None:
        restore(model, weights)
    apply_masks(model)


def shuffle_weights(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for target in targets(model):
        w, kept = target.weight.numpy(), target.mask.numpy().astype(bool)
        w[kept] = rng.permutation(w[kept])
        target.weight.assign(w)
