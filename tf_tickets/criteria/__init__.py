"""Pruning criteria: per-weight importance scores, higher = kept first.

random, magnitude, snip, grasp, synflow, obd, magnitude_gradient (docs/methods.md). A criterion sees a
private plain copy of the model and the variables to score, and knows nothing of budgets or training:

    criterion = make("snip", iterations=1)
    batch = class_balanced_batch(train_data, num_classes=10, per_class=10) if criterion.needs_data else None
    scores = criterion.score(model_copy, kernels, batch=batch, masks=None, seed=0)
"""
from typing import List

from tf_tickets.criteria import (grasp, magnitude, magnitude_gradient, obd, random_scores, snip,  # noqa: F401
                                 synflow)
from tf_tickets.criteria.base import CRITERIA, Criterion
from tf_tickets.criteria.batch import class_balanced_batch

__all__ = ["CRITERIA", "Criterion", "class_balanced_batch", "make", "names"]


def make(name: str, **options) -> Criterion:
    """The criterion called `name` with its options; unknown names or options raise a TicketsError."""
    return CRITERIA.create(name, **options)


def names() -> List[str]:
    """Known criterion names."""
    return CRITERIA.names()
