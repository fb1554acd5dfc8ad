"""Procedures by name: at-initialisation tickets for any criterion, and the partially-trained ones."""
import dataclasses
from typing import List, Optional, Tuple

from tf_tickets import criteria
from tf_tickets.errors import TicketsError
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.registry import Registry
from tf_tickets.runner import RunSpec

DATA_CHECKS = ("random_labels", "random_pixels", "half_data")
MASK_CHECKS = ("rearrange", "shuffle", "reinit", "invert")
CHECKS = DATA_CHECKS + MASK_CHECKS

PROCEDURES = Registry("procedure")


@dataclasses.dataclass(frozen=True)
class Stage:
    """One run of a procedure: its directory (relative to the grid's root) and what must finish first."""

    name: str
    spec: RunSpec
    after: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Settings:
    """What every procedure shares: the base run, and the partially-trained tickets' knobs."""

    base: RunSpec  # model, data, training; its pruning gives the default budget, policy, options
    rewind_to: str = "0it"  # lottery tickets rewind here (0it: initialisation; 500it: late rewinding)
    levels: int = 1  # lottery tickets: levels of iterative magnitude pruning
    finetune_steps: str = "10ep"  # fine-tuning: how long, at the schedule's final learning rate


class Procedure:
    name = ""
    description = ""

    def __init__(self, settings: Settings):
        self.settings = settings

    def applicable_checks(self) -> Tuple[str, ...]:
        return CHECKS

    def why_not(self, check: str) -> str:
        """The verdict for a check that does not apply (and is therefore not run)."""
        return "n/a"

    def stages(self, sparsity: float, seed: int, check: Optional[str]) -> List[Stage]:
        raise NotImplementedError

    # Helpers shared by the procedures.
    def _train(self, seed: int, **changes):
        return dataclasses.replace(self.settings.base.train, seed=seed, **changes)

    def _pruning(self, method: str, sparsity: float, check: Optional[str], **changes) -> PruningConfig:
        base = self.settings.base.pruning
        return dataclasses.replace(base, method=method, sparsity=sparsity, mask_file=None, prune_at="init",
                                   invert=check == "invert", **changes)

    @staticmethod
    def _data_check(check):
        return check if check in DATA_CHECKS else "none"

    @staticmethod
    def _mask_check(check):
        return check if check in ("rearrange", "shuffle", "reinit") else "none"

    def cell(self, sparsity: float, seed: int, check: Optional[str]) -> str:
        return f"{self.name}/sparsity{sparsity:g}/{check or 'plain'}/seed{seed}"


def check_method(method: str) -> None:
    if method not in PROCEDURES and method not in criteria.CRITERIA:
        raise TicketsError(f"unknown method {method!r}; known: {', '.join(PROCEDURES.names())}, "
                           f"or a criterion pruned at initialisation: {', '.join(criteria.names())}")


def make(method: str, settings: Settings) -> Procedure:
    """A partially-trained procedure by name, or, for a criterion name, its ticket at initialisation."""
    check_method(method)
    if method in PROCEDURES:
        cls, _ = PROCEDURES.lookup(method)
        return cls(settings)
    from tf_tickets.procedures.at_init import AtInit

    return AtInit(settings, method)
