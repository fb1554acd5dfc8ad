"""What a run is, as whoever planned it says: the procedure, the part of it the run is, and the cell it fills.

    StageRecord(procedure="lottery", part="level", criterion="magnitude", check="random_labels",
                sparsity=0.488, seed=0, level=3, levels=12)

A run directory keeps it as `stage.json` beside its `config.json` (the run's settings, `RunSpec.to_config`):
tables, overlap, export and tune read these fields instead of working out from paths or settings which
procedure made a run. It is not part of the run's identity: the same run may serve several procedures (the
dense pretraining), and a run made before records existed gets its record when a plan reuses it.
"""
import dataclasses
from typing import Optional, Tuple

PARTS = ("ticket", "pretrain", "level", "search", "pruning", "sibling", "shared", "run")


@dataclasses.dataclass(frozen=True)
class StageRecord:
    # As reports name it ("lottery", "snip", "lottery:magnitude_gradient"); None: a run of its own.
    procedure: Optional[str] = None
    part: str = "ticket"  # one of PARTS: the ticket itself, or a run a ticket is made from
    criterion: Optional[str] = None  # what ranked the weights (None: nothing, or the procedure's own search)
    check: Optional[str] = None  # the sanity check the ticket is made under (`tf_tickets.checks`)
    sparsity: float = 0.0  # this run's own sparsity (0: dense)
    seed: int = 0
    level: Optional[int] = None  # iterative pruning: this run's level, of `levels`
    levels: Optional[int] = None
    own_budget: str = "global"  # the budget the procedure uses unless told otherwise (tables name any other)
    implied: Tuple[str, ...] = ()  # options the procedure sets itself (tables do not name them)
    variant: str = ""  # what the procedure's own settings add to its name, e.g. " (rewound to 500it)"

    def __post_init__(self):
        if self.part not in PARTS:
            raise ValueError(f"unknown part {self.part!r}; known: {', '.join(PARTS)}")
        object.__setattr__(self, "implied", tuple(self.implied))

    @property
    def dense(self) -> bool:
        return self.part in ("pretrain", "sibling", "shared")

    def to_config(self) -> dict:
        return {**dataclasses.asdict(self), "implied": list(self.implied)}

    @classmethod
    def of_run(cls, spec) -> "StageRecord":
        """The record of a run of its own (`tf_tickets.train`): its criterion is what it is."""
        if spec.dense:
            return cls(part="run", check=spec.check, seed=spec.train.seed)
        return cls(procedure=spec.pruning.criterion, part="run", criterion=spec.pruning.criterion, check=spec.check,
                   sparsity=spec.pruning.sparsity, seed=spec.train.seed)

    @classmethod
    def from_config(cls, config: dict) -> "StageRecord":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in known})
