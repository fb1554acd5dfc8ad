"""`custom`: densities given per layer by name, e.g. from a paper's table or an earlier run's report.

Option `densities` = {layer name: density in [0, 1]}. Layers not named keep all their weights (a partial
table prunes only what it names); the target density is ignored, since the table defines the result.
"""
from typing import Mapping

from tf_tickets.budgets.base import BUDGETS, DensityBudget, is_real
from tf_tickets.errors import TicketsError


@BUDGETS.register("custom")
class CustomBudget(DensityBudget):
    """Per-layer densities chosen by the user."""

    name = "custom"
    defaults = {"densities": None}

    def __init__(self, **options):
        super().__init__(**options)
        table = self.options["densities"]
        if not isinstance(table, Mapping) or not table:
            raise TicketsError("the custom budget needs densities={layer name: density in [0, 1], ...}")
        for name, d in table.items():
            if not isinstance(name, str) or not is_real(d) or not 0 <= d <= 1:
                raise TicketsError(f"custom densities: {name!r} must map a layer name to a density in [0, 1], "
                                   f"got {d!r}")
        self.options["densities"] = {name: float(d) for name, d in table.items()}

    def _densities(self, layers, density, scores, residual):
        table = self.options["densities"]
        known = [layer.name for layer in layers]
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise TicketsError(f"custom densities name unknown layer(s) {', '.join(unknown)}; "
                               f"the model's layers: {', '.join(known)}")
        return [table.get(layer.name, 1.0) for layer in layers]
