"""Mask-side sanity checks (Su et al. 2020), applied at the pruning point, i.e. when a ticket's training
starts: each destroys one kind of information a ticket may carry, and keeps everything else.

- `RearrangeMasks`: within each layer, the mask is permuted at random (per-layer counts kept, positions lost).
- `ShuffleWeights`: within each layer, the kept weights' values are permuted among the kept positions
  (mask kept, the pairing of values and positions lost).
- `Reinitialize`: same mask, fresh random initial weights (given as a snapshot of a freshly seeded model).

They act once, at the first step of a run (`AtFirstStep`).
"""
import numpy as np

from tf_tickets.callbacks.rewind import AtFirstStep, RewindWeights, restore
from tf_tickets.pruning.carrier import apply_masks, targets


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


class RearrangeMasks(AtFirstStep):
    """`weights`: the unmasked weights the run starts from (see `rearrange_masks`)."""

    def __init__(self, seed: int, weights, start_step: int = 0):
        super().__init__(start_step)
        self.seed = seed
        self.weights = weights

    def apply(self, model):
        rearrange_masks(model, self.seed, self.weights)


class ShuffleWeights(AtFirstStep):
    def __init__(self, seed: int, start_step: int = 0):
        super().__init__(start_step)
        self.seed = seed

    def apply(self, model):
        shuffle_weights(model, self.seed)


class Reinitialize(RewindWeights):
    """Same mask, fresh initial weights: pass a snapshot of a freshly (differently) seeded model."""
