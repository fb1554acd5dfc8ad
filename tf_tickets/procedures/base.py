"""Procedures by name: tickets at initialisation for any criterion, and the partially-trained ones.

A procedure turns (sparsity, seed, check) into the runs (`Stage`s) that make the ticket. A stage
reads earlier stages' files through `Ref`s, so the order in which stages run follows from their specs.
"""
import dataclasses
from typing import FrozenSet, List, Optional, Tuple

from tf_tickets import checks, criteria
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.jackpot import SearchConfig
from tf_tickets.pruning.config import DENSE
from tf_tickets.registry import Registry
from tf_tickets.runs import RunSpec

PROCEDURES = Registry("procedure")
AT_INIT = "at_init"  # the procedure of a criterion pruned at initialisation


@dataclasses.dataclass(frozen=True)
class Stage:
    """One run of a procedure: its directory (relative to the grid's root) and its spec."""

    name: str
    spec: RunSpec

    @property
    def after(self) -> Tuple[str, ...]:
        """The stages whose files this one reads (they must finish first), each once, in order."""
        names = [ref.stage for ref in self.spec.refs() if ref.stage is not None]
        return tuple(dict.fromkeys(names))

    @property
    def mask_inputs(self) -> Tuple[str, ...]:
        """The stages whose files (trained weights, masks) decide this one's masks."""
        return tuple(dict.fromkeys(ref.stage for ref in self.spec.mask_refs() if ref.stage is not None))


@dataclasses.dataclass(frozen=True)
class Settings:
    """What every procedure shares: the base run, and the partially-trained tickets' knobs."""

    base: RunSpec  # model, data, training; its pruning gives the budget, policy and options
    rewind_to: Duration = "0it"  # lottery tickets rewind here (0it: initialisation; 500it: late rewinding)
    levels: int = 1  # lottery tickets: levels of iterative magnitude pruning
    level_rate: Optional[float] = None  # lottery tickets: prune this fraction of the remaining weights per level
    finetune_steps: Duration = "10ep"  # fine-tuning: how long, at the schedule's final learning rate
    gmp_begin: Duration = "0it"  # gradual magnitude pruning (TF-MOT's PolynomialDecay): first pruning step
    gmp_end: Optional[Duration] = None  # last pruning step (default: three quarters of the run)
    gmp_frequency: int = 100  # prune every this many steps
    gmp_power: int = 3  # the schedule's exponent
    search_steps: Optional[Duration] = None  # jackpot: how long the scores are searched (default: the training's)
    search: SearchConfig = SearchConfig()  # jackpot: the search's optimiser, restriction rate and BatchNorm mode
    tune_steps: Optional[Duration] = None  # jackpot: tune the found ticket's weights this long (default: no tuning)

    def __post_init__(self):
        object.__setattr__(self, "rewind_to", Duration.parse(self.rewind_to))
        object.__setattr__(self, "finetune_steps", Duration.parse(self.finetune_steps))
        for name in ("gmp_end", "search_steps", "tune_steps"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, Duration.parse(getattr(self, name)))


class Procedure:
    name = ""  # as tables show it, e.g. "lottery" or "lottery:magnitude_gradient"
    description = ""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def slug(self) -> str:
        """The name as a directory name ("lottery:magnitude_gradient" -> "lottery-magnitude_gradient")."""
        return self.name.replace(":", "-")

    def uses(self) -> FrozenSet[str]:
        """What the procedure's tickets depend on: "data", "masks", "scores" (checks apply accordingly)."""
        return frozenset((checks.DATA, checks.MASKS, checks.SCORES))

    def applicable_checks(self) -> Tuple[str, ...]:
        """The checks run by default: those that apply to this procedure."""
        return tuple(n for n in checks.names(default_only=True) if self.applies(n))

    def applies(self, check: str) -> bool:
        return checks.get(check).applies_to(self.uses())

    def why_not(self, check: str) -> str:
        """The verdict for a check that does not apply (and is therefore not run)."""
        return checks.get(check).when_not

    def stages(self, sparsity: float, seed: int, check: Optional[str]) -> List[Stage]:
        raise NotImplementedError

    # Helpers shared by the procedures.
    def _train(self, seed: int, **changes):
        return dataclasses.replace(self.settings.base.train, seed=seed, **changes)

    def _pruning(self, criterion: str, sparsity: float, **changes):
        return self.settings.base.pruning.with_criterion(criterion, sparsity=sparsity, **changes)

    def cell(self, sparsity: float, seed: int, check: Optional[str]) -> str:
        return f"{self.slug}/sparsity{sparsity:g}/{check or 'plain'}/seed{seed}"


def split(method: str) -> Tuple[str, Optional[str]]:
    """"lottery:magnitude_gradient" -> ("lottery", "magnitude_gradient"); "snip" -> ("snip", None)."""
    name, _, criterion = method.partition(":")
    return name.strip(), criterion.strip() or None


def is_procedure(method: str) -> bool:
    return split(method)[0] in PROCEDURES


def check_method(method: str) -> None:
    name, criterion = split(method)
    if name not in PROCEDURES and name not in criteria.CRITERIA:
        raise TicketsError(f"unknown method {method!r}; known: {', '.join(PROCEDURES.names())}, "
                           f"or a criterion pruned at initialisation: {', '.join(criteria.names())}")
    if criterion is not None:
        if name not in PROCEDURES:
            raise TicketsError(f"{method!r}: only a partially-trained procedure takes a criterion "
                               f"(procedure:criterion, e.g. lottery:magnitude_gradient)")
        criteria.CRITERIA.get(criterion)


def make(method: str, settings: Settings) -> Procedure:
    """A partially-trained procedure by name (`procedure[:criterion]`, the criterion ranking the trained
    weights), or, for a criterion's name, its ticket at initialisation."""
    check_method(method)
    name, criterion = split(method)
    if name in PROCEDURES:
        return PROCEDURES.get(name)(settings, criterion)
    from tf_tickets.procedures.at_init import AtInit

    return AtInit(settings, name)


def resolve(method: Optional[str], procedure: Optional[str], criterion: Optional[str]) -> str:
    """The procedure or criterion that `--procedure`/`--criterion` (or the older `--method`) name.

    `--procedure=at_init --criterion=snip` and `--method=snip` are the same ticket;
    `--procedure=lottery --criterion=magnitude_gradient` is `lottery:magnitude_gradient`, lottery tickets
    whose trained weights are ranked by that criterion (default: the procedure's own, magnitude).
    """
    if procedure and procedure != AT_INIT:
        check_method(procedure)
        if not is_procedure(procedure):
            raise TicketsError(f"--procedure={procedure} is a criterion: use --procedure={AT_INIT} "
                               f"--criterion={procedure} (or --method={procedure})")
        if criterion:
            if split(procedure)[1]:
                raise TicketsError(f"--procedure={procedure} names its criterion already; drop --criterion")
            procedure = f"{procedure}:{criterion}"
            check_method(procedure)
        return procedure
    name = criterion or method
    if procedure == AT_INIT and (name in (None, DENSE) or name in PROCEDURES):
        raise TicketsError(f"--procedure={AT_INIT} needs --criterion (random, snip, grasp, ...)")
    return name
