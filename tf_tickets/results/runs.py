"""Run discovery: every run directory under some folders (a `config.json` that names a model, a dataset and
its pruning), made by `train`, `compare`, `sanity`, `siblings` or `tune` alike, with its results if it finished.
Reads JSON only."""
import dataclasses
import json
import os
from typing import List, Optional, Sequence

from tf_tickets import run_files
from tf_tickets.errors import TicketsError

DENSE = "dense"


@dataclasses.dataclass
class Run:
    """One run directory: `name` as the user reaches it, its config, its results (None: unfinished)."""

    name: str
    path: str
    config: dict
    results: Optional[dict]
    record: Optional[dict] = None  # what the run is within its procedure (stage.json), if it says

    @property
    def finished(self) -> bool:
        return self.results is not None

    @property
    def pruned(self) -> bool:
        pruning = self.config["pruning"]
        return pruning.get("method", DENSE) != DENSE or bool(pruning.get("mask_file"))


def _read(path: str):
    with open(path) as f:
        return json.load(f)


def is_run_config(config) -> bool:
    return isinstance(config, dict) and {"model", "dataset", "pruning"} <= set(config)


def config_in(folder: str) -> Optional[dict]:
    """The run config in `folder`, or None when there is none (or it is not a run's)."""
    try:
        config = _read(os.path.join(folder, run_files.CONFIG))
    except (OSError, ValueError):
        return None
    return config if is_run_config(config) else None


def record_in(folder: str) -> Optional[dict]:
    """The run's record (stage.json) in `folder`, or None: a run of its own, or made before records were kept."""
    try:
        return _read(os.path.join(folder, run_files.STAGE))
    except (OSError, ValueError):
        return None


def find_runs(paths: Sequence[str]) -> List[Run]:
    """Every run directory under `paths` (each a run directory or a folder holding some), once each, in
    path order. A path that does not exist, or none that holds a run, is a TicketsError."""
    if not paths:
        raise TicketsError("give at least one run directory or folder of runs")
    runs, seen = [], set()
    for given in paths:
        if not os.path.exists(given):
            raise TicketsError(f"{given} does not exist")
        if not os.path.isdir(given):
            raise TicketsError(f"{given} is not a directory: give run directories or folders that hold them")
        for here, folders, names in os.walk(given):
            is_run = run_files.CONFIG in names
            # A run's own checkpoints and TensorBoard logs hold no runs: not walked.
            folders[:] = sorted(f for f in folders if not (is_run and f in (run_files.CHECKPOINTS,
                                                                              run_files.TENSORBOARD)))
            real = os.path.realpath(here)
            if not is_run or real in seen:
                continue
            try:
                config = _read(os.path.join(here, run_files.CONFIG))
                results = _read(os.path.join(here, run_files.RESULTS)) if run_files.RESULTS in names else None
            except (OSError, ValueError):
                continue  # not a run's file (run files are written atomically, so never half-written)
            if is_run_config(config):
                seen.add(real)
                runs.append(Run(os.path.normpath(here), real, config, results, record_in(here)))
    if not runs:
        raise TicketsError(f"no run directories (config.json and results.json) under {', '.join(map(str, paths))}")
    return runs
