"""Result tables and plots of any set of runs, and per-layer densities of several criteria or budgets.

    python tools/tables.py RUN_OR_FOLDER [...] [--out=PREFIX]
    python tools/tables.py layers --model=mnist_lenet_300_100 --dataset=embedded --sparsity=0.9
        --methods=smart_ratio,snip,grasp,magnitude,erk [--out=PREFIX]        (one command line)
    python tools/tables.py layers RUN_DIR [...] [--out=PREFIX]

The first prints one table per model and dataset (rows: tickets, columns: sparsities, mean ± std of the
test accuracy over seeds, the best of each column in bold; unfinished, collapsed and not-finite runs
named) for every run directory under the given folders: sanity grids, compare and siblings roots, single
`tf_tickets.train` runs. `layers` prints the kept fraction of each layer of one fresh network under each
entry (`criterion[@budget]`, or a budget's name for random scores under it, e.g. smart_ratio), or of the
given runs. `--out=PREFIX` also writes PREFIX.md, PREFIX.csv and PREFIX.png. Bad input: one line, exit 2,
nothing written.
"""
import os

from absl import flags

from tf_tickets import cli, results
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import flags as pruning_flags  # --sparsity, --budget, --policy, as the other commands
from tf_tickets.results import densities
from tf_tickets.training import flags as train_flags  # --model, --dataset, --data_dir, --seed, --batch_size

TAKES_ARGUMENTS = True  # the runs or folders of runs; or "layers" first
LAYERS = "layers"
# Shared names: overlap's --out and sanity's --methods mean the same here (default None, read the same
# way), so these definitions may stand in for theirs when both modules are loaded in one process.
OUT = cli.OUT  # PREFIX.md, PREFIX.csv and PREFIX.png
METHODS = flags.DEFINE_list("methods", None, "Several tickets, procedure[:criterion][@budget] or criterion[@budget] "
                            "each (sanity: in one report; tools/tables.py layers: criteria or budgets, their "
                            "per-layer densities, default "
                            + ",".join(densities.DEFAULT_METHODS) + ").", allow_override=True)
for _name in ("out", "model", "dataset", "data_dir", "sparsity", "budget", "policy", "seed"):
    flags.declare_key_flag(_name)  # defined where the other commands read them; --help lists them here too


def out_prefix():
    """--out as a file prefix, checked before anything is computed or written."""
    prefix = OUT.value
    if prefix is None:
        return None
    if not prefix or prefix.endswith(os.sep) or os.path.isdir(prefix):
        raise TicketsError(f"--out={prefix} is a folder: give a file prefix, e.g. --out={os.path.join(prefix or '.', 'tables')}")
    folder = os.path.dirname(os.path.abspath(prefix))
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK):
        raise TicketsError(f"cannot write under {folder}: {existing} is not a writable folder")
    return prefix


def write(prefix: str, writer) -> None:
    """`writer(prefix)`, which writes PREFIX.md, .csv and .png; a file it cannot write is one line."""
    try:
        written = writer(prefix)
    except OSError as error:
        raise TicketsError(f"cannot write {prefix}.*: {error.strerror or error}") from None
    print(f"\n(written: {', '.join(map(os.path.abspath, written))})")


def table(paths) -> int:
    prefix = out_prefix()
    if METHODS.value:
        raise TicketsError("--methods chooses the criteria and budgets of `layers`; tables show every run found")
    report = results.build(paths)
    print(report.markdown(), end="")
    if prefix:
        write(prefix, report.write)
    return 0


def layers(paths) -> int:
    prefix = out_prefix()
    if paths and METHODS.value:
        raise TicketsError("give runs or --methods, not both: runs carry their own tickets")
    if paths:
        result = densities.run_densities(paths)
    else:
        result = densities.layer_densities(train_flags.MODEL.value, train_flags.DATASET.value,
                                           pruning_flags.SPARSITY.value, METHODS.value or densities.DEFAULT_METHODS,
                                           budget=pruning_flags.BUDGET.value, policy=pruning_flags.POLICY.value,
                                           train=train_flags.train_config(), data_dir=train_flags.DATA_DIR.value)
    print(densities.markdown(result))
    if prefix:
        write(prefix, lambda p: densities.write(p, result))
    return 0


def main(argv):
    args = argv[1:]
    if args and args[0] == LAYERS:
        return layers(args[1:])
    return table(args)


if __name__ == "__main__":
    cli.run(main, "tables", takes_arguments=TAKES_ARGUMENTS)
