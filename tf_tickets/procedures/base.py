"""Procedures and their registry: tickets at initialisation for any criterion, and the partially-trained ones
(`tf_tickets.procedures.by_name.make` makes one by its name).

A procedure turns (sparsity, seed, check) into the runs (`Stage`s) that make the ticket. A stage
reads earlier stages' files through `Ref`s, so the order in which stages run follows from their specs.
Adding a procedure is its module and one registry line: a `Procedure` subclass registered in
`PROCEDURES`, with its own hyper-parameters as a config dataclass whose fields make its flags
(`tf_tickets.procedures.flags`), e.g.

    @dataclasses.dataclass(frozen=True)
    class WarmUpConfig(AfterTrainingConfig):
        warm_steps: Duration = setting("100it", "warm_up: dense steps before the masks are chosen.")

    @PROCEDURES.register("warm_up")
    class WarmUp(AfterTraining):
        hparams_type = WarmUpConfig      # its stages read self.hparams.warm_steps
"""
import dataclasses
from typing import FrozenSet, List, Optional, Tuple

from tf_tickets import checks, criteria
from tf_tickets.errors import TicketsError
from tf_tickets.hparams import Hparams
from tf_tickets.pruning.config import DENSE
from tf_tickets.registry import Registry
from tf_tickets.runs import RunSpec
from tf_tickets.runs.record import StageRecord

PROCEDURES = Registry("procedure")
AT_INIT = "at_init"  # the procedure of a criterion pruned at initialisation


@dataclasses.dataclass(frozen=True)
class Stage:
    """One run of a procedure: its directory (relative to the grid's root), its spec, and what it is within
    the procedure (its record, `stage.json`: set by `Procedure.planned`)."""

    name: str
    spec: RunSpec
    record: Optional[StageRecord] = None

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
class NoHparams(Hparams):
    """The hyper-parameters of a procedure that has none of its own."""


class Procedure:
    name = ""  # as tables show it, e.g. "lottery" or "lottery:magnitude_gradient"
    description = ""
    hparams_type = NoHparams  # its own hyper-parameters (a config dataclass; its fields make its flags)
    implied: Tuple[str, ...] = ()  # budget options it sets itself (tables do not name them)

    def __init__(self, base: RunSpec, hparams: Optional[Hparams] = None):
        self.base = base  # model, data, training; its pruning gives the budget, policy and options
        self.hparams = hparams if hparams is not None else self.hparams_type()

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
        """The runs that make the ticket, inputs first; the last is the ticket. A run that is neither the
        ticket nor a dense run says what it is (`self.part`)."""
        raise NotImplementedError

    def planned(self, sparsity: float, seed: int, check: Optional[str]) -> List[Stage]:
        """`stages`, each with its record: the last is the ticket, a dense run is the pretraining."""
        stages = self.stages(sparsity, seed, check)
        return [stage if stage.record is not None else
                self.part(stage, "ticket" if i == len(stages) - 1 else "pretrain" if stage.spec.dense else "")
                for i, stage in enumerate(stages)]

    def part(self, stage: Stage, part: str, **record) -> Stage:
        """`stage` with its record: this procedure's `part` of a ticket (see `tf_tickets.runs.record`)."""
        spec = stage.spec
        if not part:
            raise AssertionError(f"{self.name}: {stage.name} is neither its ticket nor dense: say which part it is")
        dense = part in ("pretrain", "sibling", "shared")
        return dataclasses.replace(stage, record=StageRecord(
            procedure=None if dense else self.name, part=part, criterion=None if dense else spec.pruning.criterion,
            check=spec.check, sparsity=0.0 if dense else spec.pruning.sparsity, seed=spec.train.seed,
            own_budget=self.own_budget, implied=self.implied, variant="" if dense else self.variant, **record))

    @property
    def own_budget(self) -> str:
        """The budget the procedure uses unless told otherwise: a report's "random@erk" names its budget."""
        return self.name.partition("@")[2] or "global"

    @property
    def variant(self) -> str:
        """What its own settings add to its name in tables, e.g. " (rewound to 500it)"."""
        return ""

    def to_config(self) -> dict:
        """The procedure as plain values: `procedures.from_config(config, base)` makes it again."""
        return {"procedure": self.name.partition("@")[0], "hparams": self.hparams.to_dict()}

    # Helpers shared by the procedures.
    def _train(self, seed: int, **changes):
        return dataclasses.replace(self.base.train, seed=seed, **changes)

    def _pruning(self, criterion: str, sparsity: float, **changes):
        return self.base.pruning.with_criterion(criterion, sparsity=sparsity, **changes)

    def cell(self, sparsity: float, seed: int, check: Optional[str]) -> str:
        return f"{self.slug}/sparsity{sparsity:g}/{check or 'plain'}/seed{seed}"


def split(name: str) -> Tuple[str, Optional[str]]:
    """"lottery:magnitude_gradient" -> ("lottery", "magnitude_gradient"); "snip" -> ("snip", None)."""
    procedure, _, criterion = name.partition(":")
    return procedure.strip(), criterion.strip() or None


def is_procedure(name: str) -> bool:
    return split(name)[0] in PROCEDURES


def check_name(name: str) -> None:
    """A one-line error unless `name` is a procedure (`procedure[:criterion]`) or a criterion."""
    procedure, criterion = split(name)
    if procedure not in PROCEDURES and procedure not in criteria.CRITERIA:
        raise TicketsError(f"unknown procedure or criterion {name!r}; procedures: {', '.join(PROCEDURES.names())}, "
                           f"or a criterion pruned at initialisation: {', '.join(criteria.names())}")
    if criterion is not None:
        if procedure not in PROCEDURES:
            raise TicketsError(f"{name!r}: only a partially-trained procedure takes a criterion "
                               f"(procedure:criterion, e.g. lottery:magnitude_gradient)")
        criteria.CRITERIA.get(criterion)


check_method = check_name  # the older name, which tf_tickets.procedures.user still calls


def resolve(procedure: Optional[str], criterion: Optional[str], method: str = DENSE) -> str:
    """The procedure or criterion that `--procedure` and `--criterion` name (or the deprecated `--method`).

    `--procedure=at_init --criterion=snip` and `--criterion=snip` are the same ticket;
    `--procedure=lottery --criterion=magnitude_gradient` is `lottery:magnitude_gradient`, lottery tickets
    whose trained weights are ranked by that criterion (default: the procedure's own, magnitude).
    """
    if procedure and procedure != AT_INIT:
        check_name(procedure)
        if not is_procedure(procedure):
            raise TicketsError(f"--procedure={procedure} is a criterion: use --procedure={AT_INIT} "
                               f"--criterion={procedure} (or --criterion={procedure} alone)")
        if criterion:
            if split(procedure)[1]:
                raise TicketsError(f"--procedure={procedure} names its criterion already; drop --criterion")
            procedure = f"{procedure}:{criterion}"
            check_name(procedure)
        return procedure
    name = criterion or method
    if procedure == AT_INIT and (name in (None, DENSE) or name in PROCEDURES):
        raise TicketsError(f"--procedure={AT_INIT} needs --criterion (random, snip, grasp, ...)")
    return name
