"""A plan's runs, run with a progress line each by any number of workers sharing the root, and a sanity
grid's table: shared by `tf_tickets.sanity`, `tf_tickets.siblings` and `tf_tickets.sanity_check`."""
import dataclasses
import os
import time
from typing import Dict, List, Tuple

from tf_tickets import checks, figures, table_writer
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import verdicts
from tf_tickets.progress import Progress
from tf_tickets.pruning.report import collapse_line
from tf_tickets.training import claims
from tf_tickets.training.run_dir import OtherSettings, RunDir

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


POLL_SECONDS = 2.0  # how often a worker with nothing to run looks again


def run_stages(plans, stages, data, strategy=None, verbose: bool = False, build=None,
               claim_timeout: float = claims.DEFAULT_TIMEOUT) -> None:
    """Runs `stages` of `plans` (one plan, or several under one root), and the unfinished runs they read,
    one progress line each; finished runs are reused.

    Any number of workers (processes on one machine, or on several sharing the root) may run this on the
    same runs at once, and each run is trained once: a worker takes the first run whose inputs have
    finished and that no live worker has claimed (`StagePlan.run`), else, while other workers train the
    rest, waits (saying for what) until every one of its runs has finished. A run whose worker died or
    fell silent for `claim_timeout` seconds is taken over and resumed from its checkpoints."""
    plans = list(plans) if isinstance(plans, (list, tuple)) else [plans]
    todo = _with_inputs(plans, stages)
    progress = Progress(len(todo), verbose)
    seen_unfinished, waiting_for = set(), None
    try:
        while todo:
            for plan, key in list(todo):
                if plan.is_finished(plan.stages[key]):
                    plan.keep_record(key)
                    progress.done(plan.stages[key].name, plan.results(key), 0.0, reused=True,
                                  elsewhere=(plan, key) in seen_unfinished)
                    todo.remove((plan, key))
                else:
                    seen_unfinished.add((plan, key))
            ran = False
            for plan, key in todo:
                stage = plan.stages[key]
                if not all(plan.is_finished(plan.stages[a]) for a in stage.after):
                    continue
                started = time.time()
                try:
                    results = plan.run(stage, data, strategy, verbose=progress.fit_verbosity, build=build,
                                       claim_timeout=claim_timeout)
                except claims.Held:
                    continue  # another worker trains it
                except claims.ClaimLost as error:
                    print(f"{stage.name}: {error}; left to that worker", flush=True)
                    continue
                except OtherSettings:
                    for each in plans:  # a sweep started at the same time claimed its directory first
                        each.place()
                    if plan.stages[key].name == stage.name:  # placing again did not move it
                        raise
                    ran = True
                    break
                progress.done(stage.name, results, time.time() - started)
                todo.remove((plan, key))
                ran = True
                break
            if todo and not ran:
                awaited = _awaited(todo, claim_timeout)
                if awaited != waiting_for:
                    print(f"waiting for {awaited}", flush=True)
                    waiting_for = awaited
                time.sleep(POLL_SECONDS)
    finally:
        progress.close()


def _with_inputs(plans, stages) -> List[Tuple]:
    """(plan, key) of each of `stages` and of the runs they read, transitively; inputs first."""
    todo: List[Tuple] = []

    def visit(plan, key):
        if any(k == key for _, k in todo):
            return
        for name in plan.stages[key].after:
            visit(plan, name)
        todo.append((plan, key))

    for stage in stages:
        owner = next(((p, p.key_of(stage.name)) for p in plans if p.key_of(stage.name) is not None), None)
        if owner is None:
            raise TicketsError(f"no run {stage.name!r} in this plan")
        visit(*owner)
    return todo


def _awaited(todo, claim_timeout: float) -> str:
    """What a worker with nothing to run waits for: the runs other workers train, and how many wait on them."""
    held = []
    for plan, key in todo:
        holder = claims.holder(plan.path(key), claim_timeout)
        if holder is not None:
            held.append(f"{plan.stages[key].name} ({holder})")
    shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
    rest = len(todo) - len(held)
    runs = f"{len(held)} run{'s' if len(held) != 1 else ''}"
    return (f"{runs} other workers train: {shown}" if held else "runs other workers are claiming") + \
        (f"; {rest} more wait{'s' if rest == 1 else ''} on them" if rest else "")


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
        mean, std = table_writer.mean_std(dense)
        rows.append({"check": "(dense network, for reference)", "n": len(dense),
                     "accuracy": table_writer.percent(mean, std), "mean": mean, "std": std})
    title = (f"{grid.procedure.name} at sparsity {grid.sparsity:g}: {grid.procedure.description}; "
             f"test accuracy (%) over seeds {', '.join(map(str, grid.seeds))}")
    columns = ["check", "n", "accuracy", "drop", "verdict"] + (["note"] if collapsed else [])
    table = table_writer.write_table(grid.table_dir(), "sanity", rows, columns)
    plotted = [r for r in rows if "mean" in r]
    figures.bar_plot(os.path.join(grid.table_dir(), "sanity.png"), [r["check"] for r in plotted],
                     [r["mean"] for r in plotted], [r["std"] for r in plotted],
                     title=f"{grid.procedure.name}, sparsity {grid.sparsity:g}")
    return Report(title, rows, table, grid.table_dir())


VERDICT_RULE = ("verdict: 'uses this information' = the accuracy under the check is lower by more than twice "
                "the seeds' pooled standard deviation and by more than 0.5 points")
