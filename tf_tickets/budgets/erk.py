"""`erk`: Erdős–Rényi-Kernel densities (Evci et al. 2020, RigL), a data-free baseline for smart_ratio.

density_l = eps * (sum of kernel dims) / (prod of kernel dims); for Dense (n_in + n_out) / (n_in * n_out).
eps is solved so that sum_l density_l * N_l = int(N_total * density). A layer whose density would exceed 1
is made dense and eps re-solved over the rest, until none exceeds. Re-solving only raises eps (a dense
layer takes less than its share), so marking every exceeding layer at once gives the same result as
RigL's one-at-a-time loop. Counts are int(density_l * N_l): the total is at most L below the target.
"""
from tf_tickets.budgets.base import BUDGETS, DensityBudget, total


@BUDGETS.register("erk")
class ErkBudget(DensityBudget):
    """Sparser where a layer has many weights per unit of fan-in plus fan-out."""

    name = "erk"

    def _densities(self, layers, density, scores, residual):
        goal = int(total(layers) * density)
        raw = [sum(layer.shape) / layer.size for layer in layers]
        dense = [False] * len(layers)
        while True:
            budget = goal - sum(layer.size for layer, d in zip(layers, dense) if d)
            weighted = sum(r * layer.size for r, layer, d in zip(raw, layers, dense) if not d)
            if weighted == 0:
                return [1.0] * len(layers)
            eps = budget / weighted
            over = [not d and eps * r > 1 for r, d in zip(raw, dense)]
            if not any(over):
                return [1.0 if d else eps * r for r, d in zip(raw, dense)]
            dense = [d or o for d, o in zip(dense, over)]
