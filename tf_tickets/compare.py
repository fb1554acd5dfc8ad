"""Finds several tickets for one network and trains each side by side with the dense network.

`python -m tf_tickets.compare --flagfile=configs/embedded_tickets.cfg` trains, e.g., the dense
network, a random ticket (smart ratio) and a SNIP ticket at 90% sparsity, each in its own run
directory under --run_dir, and prints their accuracies and sparsity reports as tables (also written
as tickets.md / tickets.csv / tickets.png). A ticket may also be a partially-trained procedure,
e.g. `lottery` or `lottery:magnitude_gradient` (its stages run under --run_dir, sharing the dense
pretraining). Finished runs are reused, killed ones resume.
"""
import os
import time

from absl import flags, logging

from tf_tickets import cli, figures, harness, procedures, runner, table_writer
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import flags as procedure_flags
from tf_tickets.progress import Progress
from tf_tickets.pruning import format_report
from tf_tickets.pruning.report import collapse_line
from tf_tickets.pruning.config import DENSE, split_budget
from tf_tickets.training import flags as train_flags
from tf_tickets.runs.record import StageRecord
from tf_tickets.training.compiled import CompiledModels
from tf_tickets.training.run_dir import RunDir

TICKETS = flags.DEFINE_list("tickets", ["dense", "random@smart_ratio", "snip@global"],
                            "Tickets to compare: procedure[:criterion][@budget] or criterion[@budget] (dense = no "
                            "pruning; a criterion is pruned at initialisation; a procedure such as lottery or "
                            "lottery:magnitude_gradient prunes trained weights); --sparsity and --policy apply to all.")


def ticket_run(ticket: str, root: str):
    """(the stages to run, the stage whose results count, the grid that runs them or None) for one ticket."""
    name, budget = split_budget(ticket)
    if procedures.base.is_procedure(name):
        base = harness.spec_from_flags(DENSE, budget)
        procedure = procedures.make(name, base, **procedure_flags.values())
        grid = procedures.Grid(procedure, base.pruning.sparsity, [base.train.seed], [], root)
        return list(grid.stages.values()), grid.cells[(None, base.train.seed)], grid
    spec = harness.spec_from_flags(name, budget)
    return [procedures.Stage(ticket.replace("@", "-"), spec, StageRecord.of_run(spec))], ticket.replace("@", "-"), None


def main(argv):
    if not TICKETS.value:
        raise TicketsError("--tickets is empty: name at least one, e.g. dense,random@smart_ratio")
    root = train_flags.run_dir_path()
    plans = {name: ticket_run(name, root) for name in TICKETS.value}
    for stages, _, _ in plans.values():
        for stage in stages:
            RunDir(os.path.join(root, stage.name)).check(stage.spec.identity())

    base = plans[TICKETS.value[0]][0][-1].spec
    strategy, _ = harness.devices(base)
    dataset = harness.load_data(base)
    rows = []
    compiled = CompiledModels()  # shared by every run here: none keeps its model
    for _, _, grid in plans.values():
        if grid is not None:
            grid.compiled = compiled
    progress = Progress(sum(len(stages) for stages, _, _ in plans.values()), cli.verbose())
    for name, (stages, counted, grid) in plans.items():
        for stage in stages:
            run_dir = RunDir(os.path.join(root, stage.name))
            started, reused = time.time(), run_dir.is_finished()
            if grid is not None:
                results = grid.run(stage, dataset, strategy, verbose=progress.fit_verbosity)
            elif reused:
                run_dir.keep_record(stage.record)
                results = run_dir.results()
            else:
                logging.info("%s: training in %s", name, run_dir.path)
                results = runner.execute(stage.spec, dataset, run_dir, strategy, verbose=progress.fit_verbosity,
                                         compiled=compiled, record=stage.record)
            progress.done(stage.name, results, time.time() - started, reused)
        results = RunDir(os.path.join(root, counted)).results()
        if results.get("sparsity_report"):
            print(f"\n{name}: sparsity report\n{format_report(results['sparsity_report'])}")
        rows.append({"ticket": name, "test_accuracy": results["test_accuracy"],
                     "density": results.get("density", 1.0), "steps": results["steps"],
                     "note": collapse_line(results.get("sparsity_report") or [])})
    progress.close()
    table = table_writer.write_table(root, "tickets", rows, ["ticket", "test_accuracy", "density", "steps", "note"])
    figures.bar_plot(os.path.join(root, "tickets.png"), [r["ticket"] for r in rows],
                     [r["test_accuracy"] for r in rows],
                     title=f"{base.model} on {base.dataset}, sparsity {base.pruning.sparsity:g}")
    print(f"\n{table}\n\n(tables and plot in {os.path.abspath(root)})")
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.compare")
