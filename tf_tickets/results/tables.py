"""Result tables of any set of run directories, in the paper's layout: tickets x sparsities.

    report = results.build(["runs/embedded-sanity", "runs/compare"])
    print(report.markdown())

Runs (`runs.find_runs`) of one ticket and sparsity (`labels`) are one cell, seeds pooled: mean ± std of the
test accuracy in %, the best ticket of each column in bold. Unfinished runs, runs with a value that is not
finite and networks whose layers collapsed are named, never dropped silently. Reads JSON only (TensorFlow
loads only to describe a collapsed network, with `tf_tickets.pruning.collapse`).
"""
import collections
import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

from tf_tickets import run_files
from tf_tickets.errors import TicketsError
from tf_tickets.files import csv_text, write_atomic
from tf_tickets.results import plots
from tf_tickets.results.cells import COLLAPSED, NOT_FINITE, Cell, collapse_of, not_finite
from tf_tickets.results.labels import Sources, is_dense, label, setting_text, sparsity_of
from tf_tickets.results.runs import Run, find_runs
from tf_tickets.table_writer import markdown_table, percent

# Settings that change what is trained but not which ticket it is: runs of one cell should agree on them.
TRAINING = ("training_steps", "batch_size", "optimizer", "lr", "momentum", "weight_decay", "lr_schedule",
            "milestones", "gamma", "warmup", "augment", "train_fraction", "mixed_precision")


@dataclasses.dataclass
class Table:
    """One model on one dataset: rows = tickets (dense first), columns = sparsities."""

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
        """The tickets with the best mean at `sparsity` (ties at the shown precision all count) among the
        tickets themselves (not the dense network, not under a check, unless only those are there); none
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
        text = percent(mean, std) if cell.n > 1 else f"{100 * mean:.2f}"
        if cell.n != self.usual_n():
            text += f" (n={cell.n})"
        if not is_dense(method) and method in self.best(sparsity):
            text = f"**{text}**"
        return text + cell.marks()

    def differing_settings(self) -> List[str]:
        """One line per cell whose runs differ in training settings (pooling them may mislead)."""
        lines = []
        for (method, sparsity), cell in self.cells.items():
            differ = {k: sorted({setting_text(r.config.get(k)) for r in cell.runs}) for k in TRAINING}
            differ = {k: v for k, v in differ.items() if len(v) > 1}
            if differ:
                where = method if is_dense(method) else f"{method} at {sparsity:g}"
                lines.append(f"{where} pools runs that differ in " + "; ".join(
                    f"{k} ({', '.join(v)})" for k, v in differ.items()))
        return lines

    def markdown(self) -> str:
        header = [f"### {self.model} on {self.dataset}", "",
                  f"test accuracy (%), mean ± std over seeds (n = {self.usual_n()} unless shown), by sparsity; "
                  "bold: the best method of its column (the dense network and runs under a check aside)", ""]
        columns = [f"{s:g}" for s in self.sparsities]
        rows = [[m] + [self.text(m, s) for s in self.sparsities] for m in self.methods]
        return "\n".join(header + [markdown_table(rows, ["method"] + columns, right=columns)] + self.notes())

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
        return csv_text([row for t in self.tables for row in t.csv_rows()], lineterminator="\n")

    def write(self, prefix: str) -> List[str]:
        """PREFIX.md, PREFIX.csv and PREFIX.png (accuracy against sparsity), each written atomically."""
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
        method = label(run, source.seen_from(run))
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
    """The report of every run under `paths` (see `runs.find_runs` and `tabulate`)."""
    return tabulate(find_runs(paths))
