"""The sanity-check grid: every run of one procedure at one sparsity, over checks and seeds.

Runs are named by their directory under the grid's root; runs shared between cells (the dense
pretraining, earlier IMP levels) appear once. `waves()` orders them so that a run comes after the
runs it reads, which is also how a scheduler can run them: wave by wave, in parallel within a wave.

Where a run lives (`StagePlan.place`): under the name its procedure gives it (`jackpot/sparsity0.9/
plain/seed0`), unless that directory holds a run with other settings. That happens when a sweep changes
a setting that changes this run but not the runs it reads (`--jackpot_rate`, `--method_options`, a
budget): the run then goes beside it, to `<name>+<what differs>` (`seed0+rate=cosine`; a digest of its
identity when that is long or is only which runs it reads), so the sweep shares the runs that did not
change (the dense pretraining) and has cells of its own, and its tables go to `<table dir>+<the same>`.
A run is found again wherever a directory holds its settings. Placing reads directories and writes
nothing; two sweeps started at once that both placed a run in the same free directory find out when
they claim it: the first keeps it, the other places again (`report.run_stages`).
"""
import collections
import dataclasses
import hashlib
import json
import os
import posixpath
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from absl import logging

from tf_tickets import checks as check_registry
from tf_tickets import runner
from tf_tickets.callbacks.claim import KeepClaim
from tf_tickets.errors import TicketsError
from tf_tickets.procedures.base import Procedure, Stage
from tf_tickets.run_files import CONFIG
from tf_tickets.runs import RunSpec
from tf_tickets.runs.refs import Root
from tf_tickets.training import claims
from tf_tickets.training.compiled import CompiledModels
from tf_tickets.training.run_dir import RunDir, same_settings

BESIDE = "+"  # joins a run's name and what tells it from the run in the directory of that name
_READABLE = re.compile(r"[A-Za-z0-9._=,-]{1,40}")


class StagePlan:
    """Named runs under one root, each run after the runs whose files it reads; finished runs are reused.
    The sanity grid and the siblings experiment are plans.

    `stages` is keyed by the names the procedures give; each `Stage` is named by its directory under the
    root, the same name unless `place` put it beside (see the module's docstring). A plan calls `place`
    once it is complete."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.stages: Dict[str, Stage] = collections.OrderedDict()
        self.compiled = CompiledModels()  # the runs keep no model: later ones train the compiled one

    def add(self, stage: Stage) -> Stage:
        """The stage, its references resolved under the root (once: a shared stage is added by each user).
        The stages whose files decide its masks are marked as such (`RunSpec.decides_masks`): under a data
        check they train on the corrupted data, whatever procedure planned them."""
        for name in stage.mask_inputs:
            decider = self.stages[name]
            if not decider.spec.decides_masks:
                self.stages[name] = dataclasses.replace(
                    decider, spec=dataclasses.replace(decider.spec, decides_masks=True))
        return self.stages.setdefault(stage.name, dataclasses.replace(stage, spec=stage.spec.resolved(self.root)))

    def place(self) -> None:
        """Gives each stage its directory and resolves references to the directories of the stages they
        name, in the order of `stages` (a stage comes after those it reads, so its identity is known when
        it is placed). Called when the plan is complete, and again by a worker when another sweep has
        claimed a free directory this plan had placed a run in."""
        root = Root(self.root, {})
        listings: Dict[str, List[str]] = {}
        for key, stage in self.stages.items():
            spec = stage.spec.resolved(root)
            root.places[key] = self._place(key, spec.identity(), listings)
            self.stages[key] = dataclasses.replace(stage, name=root.places[key], spec=spec)

    def _place(self, name: str, identity: dict, listings: Dict[str, List[str]]) -> str:
        held = RunDir(os.path.join(self.root, name)).settings()
        if held is not None and same_settings(held, identity):
            return name
        parent, base = posixpath.split(name)
        if parent not in listings:
            try:
                listings[parent] = sorted(os.listdir(os.path.join(self.root, parent)))
            except OSError:
                listings[parent] = []
        beside = [posixpath.join(parent, n) for n in listings[parent] if n.startswith(base + BESIDE)]
        for other in beside:
            if same_settings(RunDir(os.path.join(self.root, other)).settings(), identity):
                return other
        if held is None:
            return name
        readable = f"{name}{BESIDE}{difference(held, identity)}"
        return readable if readable not in beside else f"{name}{BESIDE}{digest(identity)}"

    def key_of(self, name: str) -> Optional[str]:
        """The key in `stages` of a run named by its procedure's name or by its directory's, or None."""
        if name in self.stages:
            return name
        return next((key for key, stage in self.stages.items() if stage.name == name), None)

    def path(self, name: str) -> str:
        """The directory of a run named by its procedure's name or by its directory's."""
        stage = self.stages.get(name)
        return os.path.join(self.root, stage.name if stage is not None else name)

    def own_dir(self, directory: str, names: Iterable[str]) -> str:
        """`directory` (of tables, say) for the runs `names`; if some of them were placed beside their names,
        `directory+<what differs>`, so that a sweep's tables do not overwrite another's."""
        moved = sorted({self.stages[k].name[len(k) + 1:] for k in map(self.key_of, names)
                        if k is not None and self.stages[k].name != k})
        if not moved:
            return directory
        return f"{directory}{BESIDE}{moved[0] if len(moved) == 1 else digest(moved)}"

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

    def keep_record(self, name: str) -> None:
        """Gives a finished run its record, if it has none (a run made before records were kept)."""
        stage = self.stages[name]
        if stage.record is not None:
            RunDir(self.path(name)).keep_record(stage.record)

    def run(self, stage: Stage, data, strategy=None, verbose=None, build=None,
            claim_timeout: float = claims.DEFAULT_TIMEOUT) -> dict:
        """Runs one stage (reusing it when finished); its inputs must have finished first. `verbose`:
        Keras' verbosity for its `fit` (None: the default); `build(seed)`: a user's own model.

        The run trains under its claim (`training/claims.py`): `claims.Held` while another live worker
        trains it; taken over from a worker gone or silent for `claim_timeout` seconds, it resumes from
        that worker's last checkpoint. `run_dir.OtherSettings` when its directory holds another run (a
        sweep started at the same time claimed it first): `place` again."""
        run_dir = RunDir(self.path(stage.name))
        run_dir.check(stage.spec.identity())
        if run_dir.is_finished():
            self.keep_record(self.key_of(stage.name))
            return run_dir.results()
        missing = [a for a in stage.after if not RunDir(self.path(a)).is_finished()]
        if missing:
            raise TicketsError(f"{stage.name} needs {self.stages[missing[0]].name} to have finished first")
        claim = claims.acquire(run_dir.path, claim_timeout)
        try:
            if run_dir.is_finished():  # by the worker whose claim just ended
                return run_dir.results()
            claim.note("trains" + (f", taken over from {claim.took_over}" if claim.took_over else ""))
            logging.info("run %s%s", stage.name, f" (taken over from {claim.took_over})" if claim.took_over else "")
            return runner.execute(stage.spec, data, run_dir, strategy, verbose=verbose, build=build,
                                  compiled=self.compiled, callbacks=[KeepClaim(claim)], record=stage.record)
        finally:
            claim.release()
            if not os.path.exists(run_dir.file(CONFIG)):  # bad input stopped it before it started: no trace
                _remove_if_only_claims(run_dir.path)


def _remove_if_only_claims(directory: str) -> None:
    try:
        if set(os.listdir(directory)) <= {claims.LOG}:
            if os.path.exists(os.path.join(directory, claims.LOG)):
                os.remove(os.path.join(directory, claims.LOG))
            os.rmdir(directory)
    except OSError:
        pass  # another worker is in it now


def waves_of(plans: Sequence[StagePlan]) -> List[List[Stage]]:
    """The runs of several plans under one root, wave by wave, each run once."""
    waves, seen = [], set()
    for plan in plans:
        for number, wave in enumerate(plan.waves()):
            waves += [[] for _ in range(number + 1 - len(waves))]
            for stage in wave:
                if stage.name not in seen:
                    seen.add(stage.name)
                    waves[number].append(stage)
    return waves


def difference(held: dict, wanted: dict) -> str:
    """A short, readable name for what tells settings `wanted` from `held`: `key=value` of each setting that
    differs (`key` / `no_key` for on and off), or, when that is long or a difference is which runs' files
    it reads, a digest of `wanted`. Equal names mean equal settings, beside the same `held`."""
    held, wanted = _flat(held), _flat(json.loads(json.dumps(wanted)))
    parts = []
    for key in sorted(set(held) | set(wanted)):
        value = wanted.get(key)
        if key in held and key in wanted and same_settings(held[key], value):
            continue
        name = key.rsplit(".", 1)[-1]
        if isinstance(value, str) and "/" in value or isinstance(held.get(key), str) and "/" in held[key]:
            return digest(wanted)  # it reads other runs' files than the run there: its own name says nothing
        if value is True:
            parts.append(name)
        elif value is False or value is None:
            parts.append(f"no_{name}")
        else:
            shown = "-".join(map(_shown, value)) if isinstance(value, list) else _shown(value)
            parts.append(f"{name}={shown}")
    text = ",".join(parts)
    return text if _READABLE.fullmatch(text) else digest(wanted)


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _flat(settings: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):  # an empty one says nothing: {} and {"x": 1} differ by "x=1"
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def digest(settings) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


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
        self.checks: Tuple = (None,) + tuple(checks)  # None: the ticket itself, unchecked
        self.seeds = tuple(seeds)
        self.cell_keys: Dict[Tuple, str] = {}  # (check, seed) -> the key of the run whose accuracy counts
        for check in self.checks:
            for seed in self.seeds:
                stages = procedure.planned(sparsity, seed, check)
                for stage in stages:
                    self.add(stage)
                self.cell_keys[(check, seed)] = stages[-1].name
        self.place()

    @property
    def base(self) -> RunSpec:
        """The run the procedure builds on: model, data, training, budget and policy."""
        return self.procedure.base

    @property
    def cells(self) -> Dict[Tuple, str]:
        """(check, seed) -> the directory (under the root) of the run whose accuracy counts."""
        return {cell: self.stages[key].name for cell, key in self.cell_keys.items()}

    @property
    def pretrain(self) -> Dict[int, Stage]:
        """seed -> the clean dense pretraining, for procedures that have one."""
        return {seed: self.stages[f"pretrain/clean/seed{seed}"] for seed in self.seeds
                if f"pretrain/clean/seed{seed}" in self.stages}

    def table_dir(self) -> str:
        return self.own_dir(os.path.join(self.root, self.procedure.slug, f"sparsity{self.sparsity:g}"),
                            self.cell_keys.values())
