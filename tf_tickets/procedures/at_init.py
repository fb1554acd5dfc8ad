"""Tickets found at initialisation (random tickets, SNIP, GraSP, SynFlow, ...): one run each.

Data checks corrupt the batch the criterion scores; the ticket then trains on clean data.
"""
import dataclasses

from tf_tickets import checks, criteria
from tf_tickets.procedures.base import Procedure, Stage
from tf_tickets.runs import FromCriterion


class AtInit(Procedure):
    def __init__(self, base, criterion: str):
        super().__init__(base)
        self.criterion = criterion
        self.name = criterion  # as tables show it (a report of several budgets adds "@budget")
        self.description = f"{criterion} at initialisation, {base.pruning.budget} budget"

    def uses(self):
        criterion = criteria.CRITERIA.get(self.criterion)
        return frozenset([checks.MASKS] + ([checks.DATA] if criterion.needs_data else [])
                         + ([] if criterion.random_order else [checks.SCORES]))

    def stages(self, sparsity, seed, check):
        spec = dataclasses.replace(self.base, train=self._train(seed), pruning=self._pruning(self.criterion, sparsity),
                                   masks=FromCriterion(), check=check)
        return [Stage(self.cell(sparsity, seed, check), spec)]
