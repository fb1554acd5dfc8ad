"""The sanity-check grid: every run of one procedure at one sparsity, over checks and seeds.

Runs are named by their directory under the grid's root; runs shared between cells (the dense
pretraining, earlier IMP levels) appear once. `waves()` orders them so that a run comes after the
runs it reads, which is also how a scheduler can run them: wave by wave, in parallel within a wave.
"""
import collections
import dataclasses
import os
from typing import Dict, List, Optional, Sequence, Tuple

from absl import logging

from tf_tickets import checks as check_registry
from tf_tickets import runner
from tf_tickets.errors import TicketsError
from tf_tickets.procedures.base import Procedure, Stage
from tf_tickets.training.compiled import CompiledModels
from tf_tickets.training.run_dir import RunDir


class StagePlan:
    """Named runs under one root, each run after the runs whose files it reads; finished runs are reused.
    The sanity grid and the siblings experiment are plans."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.stages: Dict[str, Stage] = collections.OrderedDict()
        self.compiled = CompiledModels()  # the runs keep no model: later ones train the compiled one

    def add(self, stage: Stage) -> Stage:
        """The stage, its references resolved under the root (once: a shared stage is added by each user)."""
        return self.stages.setdefault(stage.name, dataclasses.replace(stage, spec=stage.spec.resolved(self.root)))

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def waves(self) -> List[List[Stage]]:
        depth: Dict[str, int] = {}

        def depth_of(name):
            if name not in depth:
                depth[name] = 1 + max((depth_of(a) for a in self.stages[name].after), default=-1)
            return depth[name]

        waves: List[List[Stage]] = []
        for name in self.stages:
            d = depth_of(name)
            waves += [[] for _ in range(d + 1 - len(waves))]
            waves[d].append(self.stages[name])
        return waves

    def is_finished(self, stage: Stage) -> bool:
        return RunDir(self.path(stage.name)).is_finished()

    def results(self, name: str) -> Optional[dict]:
        return RunDir(self.path(name)).results()

    def run(self, stage: Stage, data, strategy=None, verbose=None, build=None) -> dict:
        """Runs one stage (reusing it when finished); its inputs must have finished first. `verbose`:
        Keras' verbosity for its `fit` (None: the default); `build(seed)`: a user's own model."""
        run_dir = RunDir(self.path(stage.name))
        run_dir.check(stage.spec.identity())
        if run_dir.is_finished():
            return run_dir.results()
        missing = [a for a in stage.after if not RunDir(self.path(a)).is_finished()]
        if missing:
            raise TicketsError(f"{stage.name} needs {missing[0]} to have finished first")
        logging.info("run %s", stage.name)
        return runner.execute(stage.spec, data, run_dir, strategy, verbose=verbose, build=build,
                              compiled=self.compiled)


class Grid(StagePlan):
    def __init__(self, procedure: Procedure, sparsity: float, seeds: Sequence[int], checks: Sequence[str],
                 root: str, skip_inapplicable: bool = False):
        for check in checks:
            check_registry.get(check)  # unknown names: a one-line error listing the known checks
        wrong = [c for c in checks if not procedure.applies(c)]
        if wrong and not skip_inapplicable:
            applicable = [c for c in check_registry.names() if procedure.applies(c)]
            raise TicketsError(f"check {wrong[0]!r} does not apply to {procedure.name}; applicable: "
                               f"{', '.join(applicable)}")
        self.skipped = tuple(wrong)  # reported with the procedure's reason, not run
        checks = [c for c in checks if procedure.applies(c)]
        if not seeds:
            raise TicketsError("--seeds is empty: give at least one seed (two or more for a verdict)")
        super().__init__(root)
        self.procedure, self.sparsity = procedure, sparsity
        self.checks: Tuple = (None,) + tuple(checks)  # None: the method itself, unchecked
        self.seeds = tuple(seeds)
        self.cells: Dict[Tuple, str] = {}  # (check, seed) -> the name of the run whose accuracy counts
        for check in self.checks:
            for seed in self.seeds:
                stages = procedure.stages(sparsity, seed, check)
                for stage in stages:
                    self.add(stage)
                self.cells[(check, seed)] = stages[-1].name
        self.pretrain = {seed: self.stages[f"pretrain/clean/seed{seed}"] for seed in self.seeds
                         if f"pretrain/clean/seed{seed}" in self.stages}

    def table_dir(self) -> str:
        return os.path.join(self.root, self.procedure.slug, f"sparsity{self.sparsity:g}")
