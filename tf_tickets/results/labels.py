"""What a run is, read from its record: the label of its ticket in tables, its check, its sparsity.

A run's record says which procedure planned it and which part of it the run is (`stage.json`,
`tf_tickets.runs.record.StageRecord`); its settings are read back from `config.json`
(`RunSpec.from_config`). Nothing here works out a procedure from paths or settings: a run of its own
(`tf_tickets.train`), and a run made before records were kept and not reused since, is what its settings
say (its criterion, when it pruned, what it started from). Labels use the `--methods` syntax: the procedure
or criterion, its budget when it is not the procedure's own (`random@smart_ratio`), options in brackets, and
the check (`snip / random_labels`).
"""
import collections
import json
import os
from typing import Callable, Iterable, List, Optional, Sequence

from tf_tickets import run_files
from tf_tickets.results.runs import DENSE, Run, config_in, record_in
from tf_tickets.runs import FromCriterion, FromFile, RunSpec, Search
from tf_tickets.runs.record import StageRecord

# The pruning record's entries that a label says already (or that never tell tickets apart).
_NAMED = {"method", "sparsity", "budget", "policy", "method_options", "budget_options", "mask_file", "prune_at",
          "invert", "jackpot", "gmp", "combined", "masks_from"}


class Sources:
    """The run that wrote a file another run reads (its trained weights, its masks): found where the path
    says or, for runs moved since (copied from a cluster, say), among the runs found by the longest matching
    tail of the path. A path relative to the runs root (as a grid's runs name each other's files) is looked
    for under each folder above the run that names it (`seen_from`)."""

    def __init__(self, runs: Sequence[Run]):
        self.runs = runs

    def seen_from(self, run: Run) -> Callable[[Optional[str]], Optional[Run]]:
        """These sources for the files that `run`'s config names."""
        def source(path: Optional[str]) -> Optional[Run]:
            if path and not os.path.isabs(path):
                here = os.path.dirname(os.path.abspath(run.path))
                while os.path.dirname(here) != here:
                    found = _run_in(os.path.join(here, os.path.dirname(os.path.normpath(path))))
                    if found is not None:
                        return found
                    here = os.path.dirname(here)
            return self(path)
        return source

    def __call__(self, path: Optional[str]) -> Optional[Run]:
        if not path:
            return None
        folder = os.path.dirname(os.path.normpath(path))
        if os.path.isabs(folder) and os.path.isfile(os.path.join(folder, run_files.CONFIG)):
            return _run_in(folder)
        wanted = [p for p in folder.split(os.sep) if p]
        depths = collections.defaultdict(list)
        for run in self.runs:
            depths[_common_tail([p for p in run.path.split(os.sep) if p], wanted)].append(run)
        deepest = max(depths, default=0)
        # At least two matching parts ("clean/seed0"), and one run only: two that match as well are a guess.
        return depths[deepest][0] if deepest >= 2 and len(depths[deepest]) == 1 else None


def _run_in(folder: str) -> Optional[Run]:
    config = config_in(folder)
    return None if config is None else Run(folder, folder, config, None, record_in(folder))


def _common_tail(a: List[str], b: List[str]) -> int:
    depth = 0
    while depth < min(len(a), len(b)) and a[-1 - depth] == b[-1 - depth]:
        depth += 1
    return depth


def spec_of(run: Run) -> RunSpec:
    """The run's settings, read back from its config."""
    return RunSpec.from_config(run.config)


def record_of(run: Run) -> StageRecord:
    """What the run is: its record, or, without one, a run of its own."""
    return StageRecord.from_config(run.record) if run.record else StageRecord.of_run(spec_of(run))


def check_of(config: dict) -> Optional[str]:
    """The sanity check a run was made under (`tf_tickets.checks` name), or None."""
    return RunSpec.from_config(config).check


def _options(pruning: dict, budget: str, implied: Iterable[str] = ()) -> str:
    """"@budget[k=v, ...]": what makes this run's ticket differ from the ticket as named (its budget, the
    criterion's and budget's options, the policy, and any setting added to the record later, such as
    `block`, which enters it only when set)."""
    text = f"@{pruning['budget']}" if pruning.get("budget", budget) != budget else ""
    options = {**pruning.get("method_options", {}), **pruning.get("budget_options", {})}
    shown = [f"{k}={setting_text(v)}" for k, v in sorted(options.items()) if k not in implied]
    if pruning.get("policy", "conv_dense") != "conv_dense":
        shown.append(f"policy={pruning['policy']}")
    shown += [f"{k}={setting_text(v)}" for k, v in sorted(pruning.items())
              if k not in _NAMED and v not in (None, False, 0, {}, [])]
    return text + (f"[{', '.join(shown)}]" if shown else "")


def setting_text(value) -> str:
    """A setting as a label shows it: six significant digits for a float (a searched learning rate)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value)


def _search(masks: Search) -> str:
    """What sets a jackpot's search apart from the reference's."""
    extra = [f"rate={masks.rate}"] if masks.rate != "constant" else []
    extra += [] if masks.batch_statistics else ["frozen BatchNorm"]
    return f" ({', '.join(extra)})" if extra else ""


def _own_run(run: Run, spec: RunSpec, source: Callable) -> str:
    """A run of its own: what its settings say it is."""
    pruning, masks = run.config["pruning"], spec.masks
    if isinstance(masks, FromFile):
        made_by = source(pruning["mask_file"])
        return f"masks of {method_label(made_by, source)}" if made_by is not None else \
            "mask file" + _options(pruning, pruning.get("budget", "global"))
    if isinstance(masks, Search):
        return "jackpot" + _options(pruning, "global", ("keep_classifier_dense",)) + _search(masks)
    name = pruning.get("method", DENSE) + _options(pruning, "global")
    if isinstance(masks, FromCriterion):
        if masks.at is not None:
            return f"{name} (pruned at {masks.at})"
        if masks.score_from is not None:
            return f"{name} (scored on trained weights)"
        if spec.start.weights is not None:
            return f"{name} (from start_from weights)"
    return name


def method_label(run: Run, source: Callable[[Optional[str]], Optional[Run]] = lambda path: None) -> str:
    """A readable name for the ticket the run is part of, without its check. `source(path)` gives the run
    that wrote a file this run reads (whose masks a mask file holds)."""
    spec, record = spec_of(run), record_of(run)
    if record.dense or (spec.dense and record.part == "run"):
        return DENSE
    if record.part == "run":
        return _own_run(run, spec, source)
    pruning = run.config["pruning"]
    name = record.procedure + _options(pruning, record.own_budget, record.implied)
    name += _search(spec.masks) if isinstance(spec.masks, Search) else ""
    if record.part == "level":
        return f"{name}{record.variant} (level {record.level}" + (f" of {record.levels})" if record.levels else ")")
    if record.part == "pruning":
        return f"{name} (pruning run)"
    return name + (record.variant if record.part == "ticket" else "")


def label(run: Run, source: Callable = lambda path: None) -> str:
    """The ticket's label with its check, e.g. "snip / random_labels"."""
    check = spec_of(run).check
    return method_label(run, source) + (f" / {check}" if check else "")


def is_dense(method: str) -> bool:
    """Whether a label (with or without its check) names the dense network."""
    return method == DENSE or method.startswith(DENSE + " / ")


def sparsity_of(run: Run, source: Callable) -> float:
    """The sparsity the run was asked for (0 for a dense run); a mask file's that of the run that made it,
    else what the masks keep."""
    pruning = run.config["pruning"]
    if not run.pruned:
        return 0.0
    if run.record:
        return float(run.record["sparsity"])
    if pruning.get("mask_file"):
        made_by = source(pruning["mask_file"])
        if made_by is not None and "sparsity" in made_by.config.get("pruning", {}):
            return float(made_by.config["pruning"]["sparsity"])
        if run.results and "density" in run.results:
            return round(1.0 - run.results["density"], 4)
    return float(pruning.get("sparsity", 0.0))
