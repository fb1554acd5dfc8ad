"""Per-layer keep counts for a pruning target ("budgets"): global, layerwise, smart_ratio, erk, custom.

Pure numpy: a budget sees each prunable kernel as a `LayerInfo` (name, shape, kind) in forward order
(docs/methods.md "Layer order"; the last one is the classifier when it is Dense), so it can be tested and
reported on without TensorFlow.

    budget = make("smart_ratio", linear_keep_ratio=0.3)
    counts = budget.keep_counts(layers, density=0.1, residual=False)
"""
from typing import List

from tf_tickets.budgets import custom, erk, global_threshold, layerwise, smart_ratio  # noqa: F401  (register)
from tf_tickets.budgets.base import BUDGETS, Budget, LayerInfo

__all__ = ["BUDGETS", "Budget", "LayerInfo", "make", "names"]


def make(name: str, **options) -> Budget:
    """The budget called `name` with its options; unknown names or options raise a TicketsError."""
    return BUDGETS.create(name, **options)


def names() -> List[str]:
    """Known budget names."""
    return BUDGETS.names()
