"""`layerwise`: every layer keeps the same fraction, int(density * N_l) weights (uniform pruning)."""
from tf_tickets.budgets.base import BUDGETS, DensityBudget


@BUDGETS.register("layerwise")
class LayerwiseBudget(DensityBudget):
    """The baseline that ignores where weights matter: each layer is pruned to the target density."""

    name = "layerwise"

    def _densities(self, layers, density, scores, residual):
        return [density] * len(layers)
