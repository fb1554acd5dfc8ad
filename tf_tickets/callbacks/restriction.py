"""Short restriction (Zhang et al.): after each step, only a fraction of a layer's mask flips.

After an optimizer step, the pruned weights whose scores now rank among the layer's top k (k = its
kept count) and the kept weights that dropped out of it are the candidates; `rate` of them (the
highest-scoring ins, the lowest-scoring outs) swap, so each layer's count stays fixed. `rate` is
"constant", 1 (plain per-layer top-k after each step: what the authors' published code runs), or
"cosine", 0.5 * (1 + cos(pi * epoch / epochs)): the schedule the paper describes, which the authors'
code defines but never calls.
"""
import math
from typing import Dict

import numpy as np

from tf_tickets.callbacks.binding import Callback
from tf_tickets.masks import top_k
from tf_tickets.pruning import stacks
from tf_tickets.pruning.carriers import ScoreCarrier, carrier_of

RATES = ("constant", "cosine")


def restrict(scores: np.ndarray, mask: np.ndarray, rate: float) -> np.ndarray:
    """The new mask: at most ceil(rate * candidates) swaps towards the scores' top-k, count unchanged."""
    k = int(np.count_nonzero(mask))
    best = top_k([scores], [k])[0].astype(bool)
    kept = mask.astype(bool)
    ins = np.flatnonzero((best & ~kept).ravel())
    outs = np.flatnonzero((kept & ~best).ravel())
    swaps = min(len(ins), math.ceil(rate * len(ins)))
    if swaps == 0:
        return mask
    flat_scores = scores.ravel()
    ins = ins[np.argsort(-flat_scores[ins], kind="stable")[:swaps]]
    outs = outs[np.argsort(flat_scores[outs], kind="stable")[:swaps]]
    new = mask.ravel().copy()
    new[ins], new[outs] = 1, 0
    return new.reshape(mask.shape)


class ShortRestriction(Callback):
    """Applies `restrict` to every layer whose mask follows scores (a `ScoreCarrier`'s: tf_keras' `ScoreMask`,
    Keras 3's scored layers) after each training batch; counts the flips."""

    def __init__(self, rate: str = "constant", epochs: int = 1):
        super().__init__()
        if rate not in RATES:
            raise ValueError(f"rate must be one of {RATES}, got {rate!r}")
        self.schedule, self.epochs, self.rate = rate, int(epochs), 1.0
        self.flips: Dict[str, int] = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.rate = 1.0 if self.schedule == "constant" else 0.5 * (1 + math.cos(math.pi * epoch / self.epochs))

    def on_train_batch_end(self, batch, logs=None):
        model = self.model  # read once: on JAX, reading it brings the step's state back into the variables
        for layer in stacks.of(model).layers(model):
            carrier = carrier_of(layer)
            if isinstance(carrier, ScoreCarrier):
                mask_variable = carrier.masked_weights(layer)[0][1]
                mask = mask_variable.numpy()
                new = restrict(carrier.scores(layer).numpy(), mask, self.rate)
                flipped = int(np.count_nonzero(new != mask))
                if flipped:
                    mask_variable.assign(new)
                    name = carrier.inner(layer).name
                    self.flips[name] = self.flips.get(name, 0) + flipped
