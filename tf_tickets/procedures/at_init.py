"""Tickets found at initialisation (random tickets, SNIP, GraSP, SynFlow, ...): one run each.

Data checks corrupt the batch the criterion scores; the ticket then trains on clean data.
"""
import dataclasses

from tf_tickets import criteria
from tf_tickets.procedures.base import CHECKS, DATA_CHECKS, Procedure, Stage


class AtInit(Procedure):
    def __init__(self, settings, method: str):
        super().__init__(settings)
        self.name = method
        self.description = f"{method} at initialisation, {settings.base.pruning.budget} budget"

    def applicable_checks(self):
        checks = CHECKS
        if not criteria.make(self.name).needs_data:
            checks = tuple(c for c in checks if c not in DATA_CHECKS)
        if self.name == "random":  # random scores: inverting them gives just another random ticket
            checks = tuple(c for c in checks if c != "invert")
        return checks

    def why_not(self, check):
        if check in DATA_CHECKS:
            return "does not (it uses no data)"
        return "n/a (its scores are random)"

    def stages(self, sparsity, seed, check):
        spec = dataclasses.replace(self.settings.base, train=self._train(seed),
                                   pruning=self._pruning(self.name, sparsity, check),
                                   corrupt=self._data_check(check), mask_check=self._mask_check(check))
        return [Stage(self.cell(sparsity, seed, check), spec)]
