"""A sanity grid's runs, run with a progress line each, and its table: shared by `tf_tickets.sanity` and
`tf_tickets.sanity_check`."""
import dataclasses
import os
import time
from typing import Dict, List

from tf_tickets import checks, reporting
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import verdicts
from tf_tickets.progress import Progress
from tf_tickets.pruning.report import collapse_line
from tf_tickets.training.run_dir import RunDir

VERDICT_RULE = ("verdict: 'uses this information' = the accuracy under the check is lower by more than twice "
                "the seeds' pooled standard deviation and by more than 0.5 points")


@dataclasses.dataclass
class Report:
    title: str
    rows: List[Dict]  # one per check: check, n, accuracy ("mean ± std" in %), mean, std, drop, verdict[, note]
    table: str  # Markdown
    directory: str  # where sanity.md, sanity.csv and sanity.png are

    def verdicts(self) -> Dict[str, str]:
        """{check label: verdict} for the checks that ran or were reported."""
        return {r["check"]: r["verdict"] for r in self.rows if r.get("verdict")}

    def __str__(self) -> str:
        return f"{self.title}\n\n{self.table}\n\n(table and plot in {self.directory})"


def run_stages(grid, stages, data, strategy=None, verbose: bool = False, build=None) -> None:
    """Runs `stages` of `grid` in order (finished ones are reused), one progress line each."""
    progress = Progress(len(stages), verbose)
    try:
        for stage in stages:
            started, reused = time.time(), grid.is_finished(stage)
            results = grid.run(stage, data, strategy, verbose=progress.fit_verbosity, build=build)
            progress.done(stage.name, results, time.time() - started, reused)
    finally:
        progress.close()


def gather(grid) -> "Report":
    """The grid's table (mean ± std per check, drop, verdict, collapse notes) from its finished runs,
    written as sanity.md / sanity.csv / sanity.png in the grid's table directory."""
    accuracies, collapsed, missing = {}, {}, []
    for (check, seed), name in grid.cells.items():
        results = RunDir(grid.path(name)).results()
        if results is None:
            missing.append(name)
        else:
            accuracies.setdefault(check, []).append(results["test_accuracy"])
            if collapse_line(results.get("sparsity_report") or []):
                collapsed.setdefault(check, []).append(seed)
    if missing:
        raise TicketsError(f"{len(missing)} runs have not finished, e.g. {missing[0]}: run them first")
    rows = verdicts.rows(accuracies, checks.label)
    for row, check in zip(rows, accuracies):  # why a cell may sit at chance
        if collapsed.get(check):
            seeds = collapsed[check]
            row["note"] = f"layer collapse in {len(seeds)} of {len(accuracies[check])} seeds (see sparsity.md)"
    rows += [{"check": checks.label(c), "n": 0, "accuracy": "not run", "verdict": grid.procedure.why_not(c)}
             for c in grid.skipped]
    if grid.pretrain:
        dense = [RunDir(grid.path(s.name)).results()["test_accuracy"] for s in grid.pretrain.values()]
        mean, std = verdicts.mean_std(dense)
        rows.append({"check": "(dense network, for reference)", "n": len(dense),
                     "accuracy": f"{100 * mean:.2f} ± {100 * std:.2f}", "mean": mean, "std": std})
    title = (f"{grid.procedure.name} at sparsity {grid.sparsity:g}: {grid.procedure.description}; "
             f"test accuracy (%) over seeds {', '.join(map(str, grid.seeds))}")
    columns = ["check", "n", "accuracy", "drop", "verdict"] + (["note"] if collapsed else [])
    table = reporting.write_table(grid.table_dir(), "sanity", rows, columns)
    plotted = [r for r in rows if "mean" in r]
    reporting.bar_plot(os.path.join(grid.table_dir(), "sanity.png"), [r["check"] for r in plotted],
                       [r["mean"] for r in plotted], [r["std"] for r in plotted],
                       title=f"{grid.procedure.name}, sparsity {grid.sparsity:g}")
    return Report(title, rows, table, grid.table_dir())


VERDICT_RULE = ("verdict: 'uses this information' = the accuracy under the check is lower by more than twice "
                "the seeds' pooled standard deviation and by more than 0.5 points")
