"""Siblings (Movva, Frankle, Carbin): k networks from one initialisation that differ only in data order.

For each seed, all siblings start from the same point: the seeded initialisation (`pretrain` = 0it),
or the weights a shared dense run reached after `pretrain` steps (its `capture_at`). Sibling i trains
with data-order seed `seed + DATA_SEED_STRIDE * i` and keeps its final weights. Then, at one sparsity,
three kinds of tickets retrain from that same start point:
    one_shot         the criterion's masks of sibling 1 alone (one-shot magnitude pruning, rewound)
    union{k}         the union of siblings 1..k's masks, re-targeted to one_shot's count (`Composed`)
    intersection{k}  the same for their intersection
for k = 2..K. `SiblingsPlan` lays these out as stages under one root; `tf_tickets.siblings` runs them
and reports accuracies and mask overlaps.
"""
import dataclasses
from typing import List

from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.procedures.grid import StagePlan
from tf_tickets.procedures.base import Stage
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.run_files import FINAL_WEIGHTS, REWIND_POINT
from tf_tickets.runs.record import StageRecord
from tf_tickets.runs import Composed, FromCriterion, NoMasks, Outputs, Ref, RunSpec, Start

DATA_SEED_STRIDE = 1000  # sibling i of seed s orders its data by s + 1000 i: no two siblings of any seed share it
COMBINATIONS = ("union", "intersection")


class SiblingsPlan(StagePlan):
    """The runs of a siblings experiment: `base` gives model, data, training and pruning (criterion,
    sparsity, budget, policy); `k` siblings per seed; `pretrain` of shared dense training first."""

    def __init__(self, base: RunSpec, k: int, pretrain: Duration, seeds, root: str, steps_per_epoch: int):
        if k < 2:
            raise TicketsError(f"--siblings must be at least 2 (a union needs two masks), got {k}")
        if not seeds:
            raise TicketsError("--seeds is empty: give at least one seed")
        if base.pruning.criterion is None:
            raise TicketsError("siblings are pruned by a criterion: set --criterion (magnitude, the paper's)")
        super().__init__(root)
        self.base, self.k, self.seeds = base, k, tuple(seeds)
        self.pretrain = Duration.parse(pretrain)
        self.pretrain_steps = self.pretrain.to_steps(steps_per_epoch)
        total = base.train.total_steps(steps_per_epoch)
        if not 0 <= self.pretrain_steps < total:
            raise TicketsError(f"--pretrain={self.pretrain} ({self.pretrain_steps} steps) must be shorter than "
                               f"the training ({total} steps)")
        self.sparsity = base.pruning.sparsity
        self.siblings = {}  # seed -> [sibling stage names]
        self.tickets = {}  # (seed, "one_shot" | "union2" | ...) -> stage name
        for seed in self.seeds:
            self._plan(seed)
        self.place()

    @property
    def prefix(self) -> str:
        return f"siblings/pretrain{self.pretrain}"

    def table_dir(self) -> str:
        return self.own_dir(self.path(f"{self.prefix}/sparsity{self.sparsity:g}"), self.tickets.values())

    def ticket_names(self) -> List[str]:
        return ["one_shot"] + [f"{op}{k}" for op in COMBINATIONS for k in range(2, self.k + 1)]

    def _dense(self, seed: int, **changes) -> RunSpec:
        return dataclasses.replace(self.base, train=dataclasses.replace(self.base.train, seed=seed, **changes),
                                   pruning=PruningConfig(), masks=NoMasks(), check=None)

    def _plan(self, seed: int) -> None:
        here = f"{self.prefix}/seed{seed}"
        start = Start()  # the seeded initialisation, the same for every run of this seed
        if self.pretrain_steps:
            shared = self.add(Stage(f"{here}/shared", dataclasses.replace(
                self._dense(seed), outputs=Outputs(capture_at=f"{self.pretrain_steps}it")),
                StageRecord(part="shared", seed=seed)))
            start = Start(weights=Ref(shared.name, REWIND_POINT), step=self.pretrain_steps)
        names = []
        for i in range(1, self.k + 1):
            spec = dataclasses.replace(self._dense(seed, data_seed=seed + DATA_SEED_STRIDE * i), start=start,
                                       outputs=Outputs(save_weights=True))
            names.append(self.add(Stage(f"{here}/sibling{i}", spec, StageRecord(part="sibling", seed=seed))).name)
        self.siblings[seed] = names
        weights = [Ref(name, FINAL_WEIGHTS) for name in names]
        ticket = dataclasses.replace(self.base, train=dataclasses.replace(self.base.train, seed=seed), start=start,
                                     check=None)
        cells = {"one_shot": FromCriterion(score_from=weights[0])}
        for op in COMBINATIONS:
            cells.update({f"{op}{k}": Composed(op, tuple(weights[:k])) for k in range(2, self.k + 1)})
        criterion = self.base.pruning.criterion
        rewound = f" (rewound to {self.pretrain_steps}it)" if self.pretrain_steps else ""
        for name, masks in cells.items():
            # One sibling's masks, rewound, are a one-shot lottery ticket; the others name their combination.
            named = ("lottery", rewound) if name == "one_shot" else (f"{masks.op} of {len(masks.members)}",
                                                                    f" ({criterion})")
            record = StageRecord(procedure=named[0], part="ticket", criterion=criterion, sparsity=self.sparsity,
                                 seed=seed, variant=named[1])
            stage = self.add(Stage(f"{here}/sparsity{self.sparsity:g}/{name}", dataclasses.replace(ticket, masks=masks),
                                   record))
            self.tickets[(seed, name)] = stage.name
