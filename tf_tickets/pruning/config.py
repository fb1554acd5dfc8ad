"""What scores the weights and how many are kept where: checked before anything is written.

Vocabulary: a *criterion* scores weights (snip, magnitude, ...), a *budget* turns a sparsity into
per-layer keep counts, a *policy* picks the layers that carry masks. When and from which weights masks
are computed (at initialisation, at a step of training, from a file, ...) is the run's mask source
(`tf_tickets.runs`); how a ticket is made (lottery tickets, learning-rate rewinding, ...) is a
*procedure* (`tf_tickets.procedures`).
"""
import dataclasses
from typing import Optional

from tf_tickets import budgets, criteria
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import collapse, policies

DENSE = "dense"  # the command line's word for "no criterion, no pruning"


@dataclasses.dataclass(frozen=True)
class PruningConfig:
    criterion: Optional[str] = None  # None: no criterion chosen (a dense run, or the procedure picks one)
    sparsity: float = 0.9
    budget: str = "global"
    policy: str = "conv_dense"
    criterion_options: tuple = ()  # ((key, value), ...)
    budget_options: tuple = ()
    on_collapse: str = "warn"  # how empty layers are reported: warn, raise, ignore (not part of a run's identity)
    block: int = 0  # > 1: Dense and 1x1-conv kernels keep whole 1 x block blocks (see Pruner)
    score_batches: int = 1  # class-balanced batches a data-dependent criterion sees (see Pruner)

    def __post_init__(self):
        if not 0 <= self.sparsity < 1:
            raise TicketsError(f"sparsity must be in [0, 1), got {self.sparsity}")
        if self.criterion is not None:
            criteria.make(self.criterion, **dict(self.criterion_options))
        budgets.make(self.budget, **dict(self.budget_options))
        policies.POLICIES.lookup(self.policy)
        if self.on_collapse not in collapse.POLICIES:
            raise TicketsError(f"on_collapse must be one of {', '.join(collapse.POLICIES)}, got {self.on_collapse!r}")
        if self.block < 0 or self.block == 1:
            raise TicketsError(f"--block must be 0 (unstructured) or at least 2, got {self.block}")
        criteria.base.positive_int("--score_batches", self.score_batches)

    def with_criterion(self, criterion: str, **changes) -> "PruningConfig":
        return dataclasses.replace(self, criterion=criterion, **changes)

    def pruner(self, seed: int, invert: bool = False):
        from tf_tickets.pruning.pruner import Pruner

        if self.criterion is None:
            raise TicketsError("no criterion chosen: set --criterion (or --method)")
        return Pruner(self.criterion, self.sparsity, self.budget, seed, dict(self.criterion_options),
                      dict(self.budget_options), invert=invert, on_collapse=self.on_collapse, block=self.block,
                      score_batches=self.score_batches)

    def to_dict(self) -> dict:
        """The settings as JSON values, under the names run directories have always used."""
        found = {"method": self.criterion or DENSE, "sparsity": self.sparsity, "budget": self.budget,
                 "policy": self.policy, "method_options": dict(self.criterion_options),
                 "budget_options": dict(self.budget_options)}
        if self.block:  # added later: in the identity only when set, so earlier runs keep theirs
            found["block"] = self.block
        if self.score_batches != 1:  # likewise
            found["score_batches"] = self.score_batches
        return found


def parse_method_budget(text: str):
    """"snip@global" -> ("snip", "global"); "snip" -> ("snip", None)."""
    method, _, budget = text.partition("@")
    return method.strip(), budget.strip() or None


def parse_options(items, what: str) -> tuple:
    """["key=value", ...] -> ((key, value), ...) with numbers and booleans parsed."""
    parsed = []
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise TicketsError(f"malformed {what} {item!r}: write key=value")
        parsed.append((key.strip(), _value(value.strip())))
    return tuple(parsed)


def _value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
