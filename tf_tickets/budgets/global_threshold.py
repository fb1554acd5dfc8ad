"""`global`: one score threshold over all layers, as SNIP, GraSP, SynFlow and global magnitude use it.

Keeps the int(N_total * density) highest scores across all layers. Scores equal to the threshold are
kept in flat order (layer order, then row-major within a layer), so the total is exact and the counts
are deterministic. np.partition finds the threshold in linear time (no full sort of ~20M scores).

`keep_classifier_dense=True` is Su et al.'s one-shot lottery ticket (docs/methods.md "Lottery tickets and rewinding"):
the final Dense keeps every weight and the threshold runs over the other layers with what is left.
"""
from typing import List, Sequence

import numpy as np

from tf_tickets.budgets.base import BUDGETS, Budget, LayerInfo, check_density, check_layers, has_classifier, total
from tf_tickets.errors import TicketsError
from tf_tickets.masks import kth_highest_of


def _check_scores(layers: Sequence[LayerInfo], scores) -> List[np.ndarray]:
    if scores is None:
        raise TicketsError("the global budget ranks scores across layers: give scores")
    scores = [np.asarray(s) for s in scores]
    if len(scores) != len(layers):
        raise TicketsError(f"scores: expected one array per layer ({len(layers)}), got {len(scores)}")
    for s, layer in zip(scores, layers):
        if s.size != layer.size:
            raise TicketsError(f"scores for layer {layer.name!r}: expected {layer.size} values "
                               f"(shape {layer.shape}), got {s.size}")
        if s.dtype.kind not in "biuf":
            raise TicketsError(f"scores for layer {layer.name!r} must be real numbers, got dtype {s.dtype}")
    return scores


def threshold_kept(scores: Sequence[np.ndarray], keep: int) -> List[np.ndarray]:
    """Per array, whether each value is among the `keep` highest of all (ties at the threshold: flat order)."""
    if keep <= 0 or keep >= sum(int(s.size) for s in scores):
        return [np.full(np.shape(s), keep > 0) for s in scores]
    if any(s.dtype.kind == "f" and np.isnan(s).any() for s in scores):
        raise TicketsError("scores contain NaN; cannot rank them")
    return kept_from(scores, keep, kth_highest_of(scores, keep))


def kept_from(scores: Sequence[np.ndarray], keep: int, at) -> List[np.ndarray]:
    """`threshold_kept` given the threshold `at`: everything at or above it, less the last ties in flat
    order beyond `keep` (one pass; with distinct scores there is just one tie, the threshold itself)."""
    kept = [np.asarray(s) >= at for s in scores]
    extra = sum(int(np.count_nonzero(k)) for k in kept) - keep
    for s, k in zip(reversed(scores), reversed(kept)):
        if extra <= 0:
            break
        ties = np.flatnonzero(np.ravel(s) == at)[-extra:]
        k.reshape(-1)[ties] = False
        extra -= ties.size
    return kept


def threshold_counts(scores: Sequence[np.ndarray], keep: int) -> List[int]:
    """How many of each array's values are among the `keep` highest of all of them (ties: flat order)."""
    sizes = [int(s.size) for s in scores]
    if keep <= 0:
        return [0] * len(scores)
    if keep >= sum(sizes):
        return sizes
    return [int(np.count_nonzero(k)) for k in threshold_kept(scores, keep)]


@BUDGETS.register("global")
class GlobalBudget(Budget):
    """Global ranking of scores; the per-layer split is whatever the scores decide."""

    name = "global"
    defaults = {"keep_classifier_dense": False}

    def __init__(self, **options):
        super().__init__(**options)
        if not isinstance(self.options["keep_classifier_dense"], bool):
            raise TicketsError(f"keep_classifier_dense must be true or false, "
                               f"got {self.options['keep_classifier_dense']!r}")

    def single_threshold(self) -> bool:
        return not (self.options["keep_classifier_dense"] or self.min_density)

    def kept(self, layers, density, scores, residual=True):
        """One threshold over all layers makes the masks directly (what the per-layer counts would select)."""
        if not self.single_threshold():
            return super().kept(layers, density, scores, residual)
        layers = check_layers(layers)
        scores = _check_scores(layers, scores)
        return threshold_kept(scores, int(total(layers) * check_density(density)))

    def _counts(self, layers, density, scores, residual):
        scores = _check_scores(layers, scores)
        keep = int(total(layers) * density)
        if not self.options["keep_classifier_dense"]:
            return threshold_counts(scores, keep)
        if not has_classifier(layers):
            raise TicketsError("keep_classifier_dense needs a Dense classifier as the last layer")
        classifier = layers[-1].size
        if len(layers) == 1:
            raise TicketsError("keep_classifier_dense needs at least one layer besides the classifier")
        if keep < classifier:
            raise TicketsError(f"density {density:g} keeps {keep} weights, fewer than the dense classifier's "
                               f"{classifier}; lower the sparsity or drop keep_classifier_dense")
        return threshold_counts(scores[:-1], keep - classifier) + [classifier]
