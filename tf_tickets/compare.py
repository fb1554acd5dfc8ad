"""Finds several tickets for one network and trains each side by side with the dense network.

`python -m tf_tickets.compare --flagfile=configs/embedded_tickets.cfg` trains, e.g., the dense
network, a random ticket (smart ratio) and a SNIP ticket at 90% sparsity, each in its own run
directory under --run_dir, and prints their accuracies and sparsity reports as tables (also written
as tickets.md / tickets.csv / tickets.png). Finished runs are reused, killed ones resume.
"""
import os

from absl import flags, logging

from tf_tickets import cli, harness, reporting, runner
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import format_report
from tf_tickets.pruning.config import parse_method_budget
from tf_tickets.training import flags as train_flags
from tf_tickets.training.run_dir import RunDir

TICKETS = flags.DEFINE_list("tickets", ["dense", "random@smart_ratio", "snip@global"],
                            "Tickets to compare: method[@budget] (dense = no pruning); "
                            "--sparsity and --policy apply to all.")


def main(argv):
    if not TICKETS.value:
        raise TicketsError("--tickets is empty: name at least one, e.g. dense,random@smart_ratio")
    specs = {name: harness.spec_from_flags(*parse_method_budget(name)) for name in TICKETS.value}
    base = next(iter(specs.values()))
    root = train_flags.run_dir_path()
    run_dirs = {name: RunDir(os.path.join(root, name.replace("@", "-"))) for name in specs}
    for name, spec in specs.items():
        run_dirs[name].check(spec.identity())

    strategy, _ = harness.devices(base)
    dataset = harness.load_data(base)
    rows = []
    for name, spec in specs.items():
        run_dir = run_dirs[name]
        if run_dir.is_finished():
            logging.info("%s: finished earlier, reusing %s", name, run_dir.path)
            results = run_dir.results()
        else:
            logging.info("%s: training in %s", name, run_dir.path)
            results = runner.execute(spec, dataset, run_dir, strategy)
        if results.get("sparsity_report"):
            print(f"\n{name}: sparsity report\n{format_report(results['sparsity_report'])}")
        rows.append({"ticket": name, "test_accuracy": results["test_accuracy"],
                     "density": results.get("density", 1.0), "steps": results["steps"]})
    table = reporting.write_table(root, "tickets", rows, ["ticket", "test_accuracy", "density", "steps"])
    reporting.bar_plot(os.path.join(root, "tickets.png"), [r["ticket"] for r in rows],
                       [r["test_accuracy"] for r in rows],
                       title=f"{base.model} on {base.dataset}, sparsity {base.pruning.sparsity:g}")
    print(f"\n{table}\n\n(tables and plot in {os.path.abspath(root)})")
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.compare")
