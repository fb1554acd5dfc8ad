"""Mask-side sanity checks (Su et al. 2020), applied at the pruning point, i.e. when a ticket's training
starts: each destroys one kind of information a ticket may carry, and keeps everything else.

- `RearrangeMasks`: within each layer, the mask is permuted at random (per-layer counts kept, positions lost).
- `ShuffleWeights`: within each layer, the kept weights' values are permuted among the kept positions
  (mask kept, the pairing of values and positions lost).
- `Reinitialize`: same mask, fresh random initial weights (given as a snapshot of a freshly seeded model).

They act once, at the first step of a run (`AtFirstStep`); the operations themselves, for any Keras, are
`tf_tickets.pruning.mask_checks`'s.
"""
from tf_tickets.callbacks.rewind import AtFirstStep, RewindWeights
from tf_tickets.pruning.mask_checks import rearrange_masks, shuffle_masks_globally, shuffle_weights  # noqa: F401


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
