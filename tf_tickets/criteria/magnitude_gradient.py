"""`magnitude_gradient`: magnitude pruning with SNIP's data-dependent term added (Lévai & Zombori 2020).

importance = (1-λ) |w| / mean|w| + λ |w g| / mean|w g|, each mean over all scored weights, so the two
terms are on one scale; λ (`gradient_weight`) = 0 ranks like `magnitude`, λ = 1 like `snip`. g is
SNIP's gradient (same batch, same `iterations`).
"""
import numpy as np

from tf_tickets.criteria import autodiff
from tf_tickets.criteria.base import CRITERIA, Criterion, positive_int, real_in
from tf_tickets.criteria.snip import accumulated_gradients


def _normalised(parts):
    """Each array divided by the mean over all of them (left as is when that mean is 0)."""
    mean = np.concatenate([p.ravel() for p in parts]).mean()
    return [p / mean if mean > 0 else p for p in parts]


@CRITERIA.register("magnitude_gradient")
class MagnitudeGradient(Criterion):
    name = "magnitude_gradient"
    defaults = {"gradient_weight": 0.5, "iterations": 1}

    def _configure(self, gradient_weight, iterations):
        self.gradient_weight = real_in("gradient_weight", gradient_weight, 0.0, 1.0)
        self.iterations = positive_int("iterations", iterations)
        self.needs_data = self.gradient_weight > 0  # λ = 0 is plain magnitude: no data needed

    def _score(self, model, weights, batch, seed):
        primitives = autodiff.of(model)
        w = primitives.values(weights)
        lam = self.gradient_weight
        magnitude = [(1 - lam) * m for m in _normalised([np.abs(v) for v in w])]
        if lam == 0:
            return magnitude
        grads = accumulated_gradients(model, weights, batch, self.iterations)
        saliency = _normalised(primitives.times_weights(weights, grads, absolute=True))
        return [m + lam * s for m, s in zip(magnitude, saliency)]
