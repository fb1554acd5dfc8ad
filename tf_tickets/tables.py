"""Result tables of any set of run directories, in the paper's layout: methods x sparsities.

    report = tables.build(["runs/embedded-sanity", "runs/compare"])
    print(report.markdown())

`find_runs` walks the given folders for run directories (a `config.json` that names a model, a dataset
and its pruning), made by `train`, `compare`, `sanity` or `siblings` alike. Each run's method is a
label read from its config (`method_label`): the criterion, or the procedure its config describes
(`lottery`, `lr_rewinding`, `hybrid`, `jackpot`, ...), with its budget when it is not the method's own
(`random@smart_ratio`, the `--methods` syntax) and any sanity check (`snip / random_labels`). Runs of
one method and sparsity are one cell, seeds pooled: mean ± std of the test accuracy in %, the best
method of each column in bold. Unfinished runs, runs with a value that is not finite and networks
whose layers collapsed are named, never dropped silently. Reads JSON only (TensorFlow loads only to
describe a collapsed network, with `tf_tickets.pruning.collapse`).
"""
import collections
import csv
import dataclasses
import io
import json
import math
import os
import statistics
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from tf_tickets import run_files
from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic

DENSE = "dense"
COLLAPSED, NOT_FINITE = "†", "‡"  # the marks of a cell holding such a run
# What a procedure ranks by and which budget it uses when nothing else is said (tf_tickets.procedures).
OWN_CRITERION = {"lottery": "magnitude", "lottery_one_shot": "magnitude", "lr_rewinding": "magnitude",
                 "fine_tuning": "magnitude", "hybrid": "magnitude", "obd": "obd"}
# Settings that change what is trained but not which method it is: runs of one cell should agree on them.
TRAINING = ("training_steps", "batch_size", "optimizer", "lr", "momentum", "weight_decay", "lr_schedule",
            "milestones", "gamma", "warmup", "augment", "train_fraction", "mixed_precision")


@dataclasses.dataclass
class Run:
    """One run directory: `name` as the user reaches it, its config, its results (None: unfinished)."""

    name: str
    path: str
    config: dict
    results: Optional[dict]

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


def _is_run_config(config) -> bool:
    return isinstance(config, dict) and {"model", "dataset", "pruning"} <= set(config)


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
            if _is_run_config(config):
                seen.add(real)
                runs.append(Run(os.path.normpath(here), real, config, results))
    if not runs:
        raise TicketsError(f"no run directories (config.json and results.json) under {', '.join(map(str, paths))}")
    return runs


class Sources:
    """The config of the run that wrote a file another run reads (its trained weights, its masks), found
    where the path says or, for runs moved since (copied from a cluster, say), among the runs found by
    the longest matching tail of the path. A path relative to the runs root (as a grid's runs name each
    other's files) is looked for under each folder above the run that names it (`seen_from`)."""

    def __init__(self, runs: Sequence[Run]):
        self.runs = runs

    def seen_from(self, run: Run) -> Callable[[Optional[str]], Optional[dict]]:
        """These sources for the files that `run`'s config names."""
        def source(path: Optional[str]) -> Optional[dict]:
            if path and not os.path.isabs(path):
                here = os.path.dirname(os.path.abspath(run.path))
                while os.path.dirname(here) != here:
                    config = _config_in(os.path.join(here, os.path.dirname(os.path.normpath(path))))
                    if config is not None:
                        return config
                    here = os.path.dirname(here)
            return self(path)
        return source

    def __call__(self, path: Optional[str]) -> Optional[dict]:
        if not path:
            return None
        folder = os.path.dirname(os.path.normpath(path))
        if os.path.isabs(folder) and os.path.isfile(os.path.join(folder, run_files.CONFIG)):
            return _config_in(folder)
        wanted = [p for p in folder.split(os.sep) if p]
        depths = collections.defaultdict(list)
        for run in self.runs:
            depths[_common_tail([p for p in run.path.split(os.sep) if p], wanted)].append(run)
        deepest = max(depths, default=0)
        # At least two matching parts ("clean/seed0"), and one run only: two that match as well are a guess.
        return depths[deepest][0].config if deepest >= 2 and len(depths[deepest]) == 1 else None


def _config_in(folder: str) -> Optional[dict]:
    try:
        config = _read(os.path.join(folder, run_files.CONFIG))
    except (OSError, ValueError):
        return None
    return config if _is_run_config(config) else None


def _common_tail(a: List[str], b: List[str]) -> int:
    depth = 0
    while depth < min(len(a), len(b)) and a[-1 - depth] == b[-1 - depth]:
        depth += 1
    return depth


def check_of(config: dict) -> Optional[str]:
    """The sanity check a run was made under (`tf_tickets.checks` name), or None."""
    for key in ("corrupt", "mask_check"):
        if config.get(key, "none") not in (None, "none"):
            return config[key]
    return "invert" if config.get("pruning", {}).get("invert") else None


def _options(pruning: dict, budget: str, implied: Iterable[str] = ()) -> str:
    """"@budget[k=v, ...]": what makes this run's method differ from the method as named (its budget, the
    criterion's and budget's options, the policy, and any setting added to the identity later, such as
    `block`, which enters it only when set)."""
    text = f"@{pruning['budget']}" if pruning.get("budget", budget) != budget else ""
    options = {**pruning.get("method_options", {}), **pruning.get("budget_options", {})}
    shown = [f"{k}={_shown(v)}" for k, v in sorted(options.items()) if k not in implied]
    if pruning.get("policy", "conv_dense") != "conv_dense":
        shown.append(f"policy={pruning['policy']}")
    shown += [f"{k}={_shown(v)}" for k, v in sorted(pruning.items())
              if k not in _NAMED and v not in (None, False, 0, {}, [])]
    return text + (f"[{', '.join(shown)}]" if shown else "")


def _shown(value) -> str:
    """A setting as a label shows it: six significant digits for a float (a searched learning rate)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value)


# The pruning identity's entries that the label already says (or that never tell methods apart).
_NAMED = {"method", "sparsity", "budget", "policy", "method_options", "budget_options", "mask_file", "prune_at",
          "invert", "jackpot", "gmp", "combined", "masks_from"}


def _procedure(name: str, criterion: str) -> str:
    """"lottery" or, ranked by another criterion, "lottery:magnitude_gradient" (the --methods syntax)."""
    return name if criterion == OWN_CRITERION[name] else f"{name}:{criterion}"


def _after_training(config: dict, source: Callable) -> Tuple[str, str, Tuple[str, ...]]:
    """(label, the procedure's own budget, options it implies) of a run that prunes trained weights."""
    pruning = config["pruning"]
    criterion, budget = pruning["method"], pruning.get("budget", "global")
    start, score = config.get("start_from"), config.get("score_from")
    if start == score:  # retrained from the pruned trained weights
        if budget == "smart_ratio":  # learning-rate rewinding under smart-ratio counts is the hybrid ticket
            return _procedure("hybrid", criterion), "smart_ratio", ()
        if criterion == "obd":
            return "obd", "global", ()
        trained = source(score) or {}
        changed = any(trained.get(k) != config.get(k) for k in ("training_steps", "lr", "lr_schedule"))
        return _procedure("fine_tuning" if trained and changed else "lr_rewinding", criterion), "global", ()
    if start is None or os.path.basename(start) == run_files.REWIND_POINT:  # rewound: a lottery ticket
        if start is None and not config.get("within_masks") and \
                pruning.get("budget_options", {}).get("keep_classifier_dense"):
            return _procedure("lottery_one_shot", criterion), "global", ("keep_classifier_dense",)
        step = config.get("start_step", 0)
        return _procedure("lottery", criterion) + (f" (rewound to {step}it)" if step else ""), "global", ()
    return f"{criterion} (scored on other weights)", "global", ()


def method_label(config: dict, source: Callable[[Optional[str]], Optional[dict]] = lambda path: None) -> str:
    """A readable name for the method a run's config describes, without its check. `source(path)` gives
    the config of the run that wrote a file this run reads (to tell fine-tuning from learning-rate
    rewinding, and whose masks a mask file holds); without it the label is the config's alone."""
    pruning = config.get("pruning", {})
    method = pruning.get("method", DENSE)
    if pruning.get("mask_file"):
        masks_of = source(pruning["mask_file"])
        if masks_of is None:
            return "mask file" + _options(pruning, pruning.get("budget", "global"))
        kind = masks_of.get("pruning", {}).get("method")
        if kind == "jackpot":
            return "jackpot (tuned)"
        if kind == "gmp":
            return "gmp"
        return f"masks of {method_label(masks_of, source)}"
    if method == DENSE:
        return DENSE
    if method == "jackpot":
        settings = pruning.get("jackpot", {})
        extra = [f"rate={settings['rate']}"] if settings.get("rate", "constant") != "constant" else []
        extra += ["batch_statistics"] if settings.get("batch_statistics") else []
        return "jackpot" + _options(pruning, "global", ("keep_classifier_dense",)) + \
            (f" ({', '.join(extra)})" if extra else "")
    if method == "gmp":
        return "gmp (pruning run)" + _options(pruning, pruning.get("budget", "global"))
    if "combined" in pruning:  # siblings: members' rankings combined at the run's sparsity
        combined = pruning["combined"]
        return f"{combined['op']} of {len(combined['weights_of'])} ({method}{_options(pruning, 'global')})"
    if method in ("union", "intersection"):
        return f"{method} of {len(pruning.get('masks_from', []))}"
    if config.get("score_from"):
        label, budget, implied = _after_training(config, source)
        return label + _options(pruning, budget, implied)
    prune_at = pruning.get("prune_at", "init")
    when = f" (pruned at {prune_at})" if prune_at != "init" else \
        " (from start_from weights)" if config.get("start_from") else ""
    return method + _options(pruning, "global") + when


def label(config: dict, source: Callable = lambda path: None) -> str:
    """The method's label with its check, e.g. "snip / random_labels"."""
    check = check_of(config)
    return method_label(config, source) + (f" / {check}" if check else "")


def sparsity_of(run: Run, source: Callable) -> float:
    """The sparsity the run was asked for (0 for a dense run); a mask file's that of the run that made it,
    else what the masks keep."""
    pruning = run.config["pruning"]
    if not run.pruned:
        return 0.0
    if pruning.get("mask_file"):
        masks_of = source(pruning["mask_file"])
        if masks_of and "sparsity" in masks_of.get("pruning", {}):
            return float(masks_of["pruning"]["sparsity"])
        if run.results and "density" in run.results:
            return round(1.0 - run.results["density"], 4)
    return float(pruning.get("sparsity", 0.0))


def not_finite(results: dict) -> List[str]:
    """The names of the result values that are NaN or infinite (nested ones as a.b)."""
    bad = []

    def walk(value, name):
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(name)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{name}.{k}" if name else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{name}[{i}]")

    walk(results, "")
    return bad


def collapse_of(results: dict) -> Optional[str]:
    """"layer collapse: ..." for a run whose masks left a layer empty (`results["collapsed"]`, or the
    older runs' sparsity report), else None."""
    found = results.get("collapsed")
    if found is None:
        rows = results.get("sparsity_report") or []
        found = {"empty": [r["name"] for r in rows if r.get("empty")],
                 "disconnecting": [r["name"] for r in rows if r.get("disconnects")]}
    if not found.get("empty"):
        return None
    from tf_tickets.pruning.collapse import describe  # loads TensorFlow: only a collapsed run needs it

    return describe(found)


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value), as the sanity tables compute them."""
    values = list(values)
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


@dataclasses.dataclass
class Cell:
    """The runs of one method at one sparsity."""

    runs: List[Run] = dataclasses.field(default_factory=list)

    @property
    def accuracies(self) -> List[float]:
        """Test accuracies (fractions) that are numbers; a run whose accuracy is NaN is marked instead."""
        values = [r.results.get("test_accuracy") for r in self.runs]
        return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]

    @property
    def n(self) -> int:
        return len(self.accuracies)

    @property
    def seeds(self) -> List[int]:
        return sorted(r.config.get("seed", 0) for r in self.runs)

    def mean_std(self) -> Tuple[float, float]:
        return mean_std(self.accuracies) if self.accuracies else (math.nan, math.nan)

    @property
    def collapsed(self) -> List[Run]:
        return [r for r in self.runs if collapse_of(r.results)]

    @property
    def not_finite(self) -> List[Run]:
        return [r for r in self.runs if not_finite(r.results)]

    def marks(self) -> str:
        return (" " + COLLAPSED if self.collapsed else "") + (" " + NOT_FINITE if self.not_finite else "")


@dataclasses.dataclass
class Table:
    """One model on one dataset: rows = methods (dense first), columns = sparsities."""

    model: str
    dataset: str
    methods: List[str]
    sparsities: List[float]
    cells: Dict[Tuple[str, float], Cell]  # dense rows under sparsity 0: one cell for every column

    def cell(self, method: str, sparsity: float) -> Optional[Cell]:
        if is_dense(method):
            return self.cells.get((method, 0.0))
        return self.cells.get((method, sparsity))

    def usual_n(self) -> int:
        """The most common number of seeds per cell (cells with another count say theirs)."""
        counts = collections.Counter(c.n for c in self.cells.values())
        return max(counts, key=lambda n: (counts[n], n)) if counts else 0

    def best(self, sparsity: float) -> List[str]:
        """The methods with the best mean at `sparsity` (ties at the shown precision all count) among the
        methods themselves (not the dense network, not under a check, unless only those are there); none
        when fewer than two compete."""
        candidates = [m for m in self.methods if not is_dense(m) and self.cell(m, sparsity)
                      and self.cell(m, sparsity).n]
        plain = [m for m in candidates if " / " not in m]
        candidates = plain or candidates
        if len(candidates) < 2:
            return []
        shown = {m: round(100 * self.cell(m, sparsity).mean_std()[0], 2) for m in candidates}
        top = max(shown.values())
        return [m for m in candidates if shown[m] == top]

    def text(self, method: str, sparsity: float) -> str:
        """"84.23 ± 0.25" (one seed: "84.00"; n when it is not the table's usual count; marks)."""
        cell = self.cell(method, sparsity)
        if cell is None:
            return "-"
        if not cell.n:
            return "NaN" + cell.marks()
        mean, std = cell.mean_std()
        text = f"{100 * mean:.2f}" + (f" ± {100 * std:.2f}" if cell.n > 1 else "")
        if cell.n != self.usual_n():
            text += f" (n={cell.n})"
        if not is_dense(method) and method in self.best(sparsity):
            text = f"**{text}**"
        return text + cell.marks()

    def differing_settings(self) -> List[str]:
        """One line per cell whose runs differ in training settings (pooling them may mislead)."""
        lines = []
        for (method, sparsity), cell in self.cells.items():
            differ = {k: sorted({_shown(r.config.get(k)) for r in cell.runs}) for k in TRAINING}
            differ = {k: v for k, v in differ.items() if len(v) > 1}
            if differ:
                where = method if is_dense(method) else f"{method} at {sparsity:g}"
                lines.append(f"{where} pools runs that differ in " + "; ".join(
                    f"{k} ({', '.join(v)})" for k, v in differ.items()))
        return lines

    def markdown(self) -> str:
        header = [f"### {self.model} on {self.dataset}", "",
                  f"test accuracy (%), mean ± std over seeds (n = {self.usual_n()} unless shown), by sparsity; "
                  "bold: the best method of its column (the dense network and runs under a check aside)", "",
                  "| method | " + " | ".join(f"{s:g}" for s in self.sparsities) + " |",
                  "|---|" + "---:|" * len(self.sparsities)]
        rows = [f"| {m} | " + " | ".join(self.text(m, s) for s in self.sparsities) + " |" for m in self.methods]
        return "\n".join(header + rows + self.notes())

    def notes(self) -> List[str]:
        notes = []
        for (method, sparsity), cell in self.cells.items():
            where = method if is_dense(method) else f"{method} at {sparsity:g}"
            notes += [f"{COLLAPSED} {where}, {r.name}: {collapse_of(r.results)}" for r in cell.collapsed]
            notes += [f"{NOT_FINITE} {where}, {r.name}: not finite: {', '.join(not_finite(r.results))}"
                      for r in cell.not_finite]
        notes += self.differing_settings()
        return [""] + notes if notes else []

    def csv_rows(self) -> List[Dict]:
        """One row per cell: the numbers behind the Markdown (accuracy in %)."""
        rows = []
        for method in self.methods:
            for sparsity in ([0.0] if is_dense(method) else self.sparsities):
                cell = self.cell(method, sparsity)
                if cell is None:
                    continue
                mean, std = cell.mean_std()
                method_name, _, check = method.partition(" / ")
                rows.append({"model": self.model, "dataset": self.dataset, "method": method_name,
                             "check": check, "sparsity": f"{sparsity:g}", "n": cell.n,
                             "seeds": " ".join(map(str, cell.seeds)),
                             "mean": f"{100 * mean:.4f}" if cell.n else "nan",
                             "std": f"{100 * std:.4f}" if cell.n else "nan",
                             "best": not is_dense(method) and method in self.best(sparsity),
                             "collapsed": len(cell.collapsed), "not_finite": len(cell.not_finite),
                             "runs": " ".join(r.name for r in cell.runs)})
        return rows


def is_dense(method: str) -> bool:
    return method == DENSE or method.startswith(DENSE + " / ")


@dataclasses.dataclass
class Report:
    tables: List[Table]
    unfinished: List[Run]

    def markdown(self) -> str:
        parts = [t.markdown() for t in self.tables]
        if self.unfinished:
            parts.append(f"unfinished (no {run_files.RESULTS} yet), not in the tables: "
                         + ", ".join(r.name for r in self.unfinished))
        return "\n\n".join(parts) + "\n"

    def csv(self) -> str:
        rows = [row for t in self.tables for row in t.csv_rows()]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["model"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def write(self, prefix: str) -> List[str]:
        """PREFIX.md, PREFIX.csv and PREFIX.png (accuracy against sparsity), each written atomically."""
        from tf_tickets import plots

        write_atomic(prefix + ".md", self.markdown())
        write_atomic(prefix + ".csv", self.csv())
        plots.accuracy_plot(prefix + ".png", self)
        return [prefix + ext for ext in (".md", ".csv", ".png")]


def _row_order(method: str):
    base, _, check = method.partition(" / ")
    return (not is_dense(method), base, check)


def tabulate(runs: Sequence[Run]) -> Report:
    """The runs grouped into one table per model and dataset, cells by (method, sparsity)."""
    source = Sources(runs)
    finished = [r for r in runs if r.finished]
    unfinished = [r for r in runs if not r.finished]
    if not finished:
        raise TicketsError(f"none of the {len(runs)} runs found has finished (no {run_files.RESULTS}), e.g. "
                           f"{unfinished[0].name}")
    groups: Dict[Tuple[str, str], Dict[Tuple[str, float], Cell]] = {}
    for run in finished:
        method = label(run.config, source.seen_from(run))
        sparsity = 0.0 if is_dense(method) else sparsity_of(run, source.seen_from(run))
        cells = groups.setdefault((run.config["model"], run.config["dataset"]), {})
        cells.setdefault((method, sparsity), Cell()).runs.append(run)
    tables = []
    for (model, dataset), cells in sorted(groups.items()):
        methods = sorted({m for m, _ in cells}, key=_row_order)
        sparsities = sorted({s for m, s in cells if not is_dense(m)}) or [0.0]
        tables.append(Table(model, dataset, methods, sparsities, cells))
    return Report(tables, unfinished)


def build(paths: Sequence[str]) -> Report:
    """The report of every run under `paths` (see `find_runs` and `tabulate`)."""
    return tabulate(find_runs(paths))
