"""`random`: uniform random scores, the baseline every criterion must beat (Su et al.'s random tickets
draw positions this way; the per-layer counts come from the budget)."""
import numpy as np

from tf_tickets.criteria.base import CRITERIA, Criterion


@CRITERIA.register("random")
class RandomScores(Criterion):
    """Uniform [0, 1) scores from `np.random.default_rng`, one independent stream per weight (spawned from
    `seed`), so a layer's scores depend only on the seed and its position. Masked weights score 0."""

    name = "random"
    random_order = True

    def score(self, model, weights, batch=None, masks=None, seed=0):
        scores = super().score(model, weights, batch=batch, masks=masks, seed=seed)
        return scores if masks is None else [s * (np.asarray(m) != 0) for s, m in zip(scores, masks)]

    def _score(self, model, weights, batch, seed):
        streams = np.random.SeedSequence(seed).spawn(len(weights))
        return [np.random.default_rng(s).random(tuple(w.shape)) for s, w in zip(streams, weights)]
