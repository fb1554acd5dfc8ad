"""Siblings: do masks of networks trained from one initialisation agree, and do they compose?
`python -m tf_tickets.siblings --flagfile=configs/embedded_siblings.cfg [--siblings=4] [--pretrain=2ep]`

For each seed: k dense siblings from one initialisation (or from a shared dense run's weights after
--pretrain), differing only in data order; each pruned by --criterion (magnitude) at --sparsity; the
union and the intersection of siblings 1..k (k = 2..K), re-targeted to exactly one sibling's count,
and sibling 1's own one-shot ticket, each retrained from the shared start point. Prints and writes
the accuracies (siblings.md/.csv/.png) and the siblings' mask overlap (overlap.md/.json/.png,
layers.md) under --run_dir. Finished runs are reused, killed ones resume; --print_commands, --stage
and --gather work as in `tf_tickets.sanity`.
"""
import sys

from absl import flags

from tf_tickets import cli, grid_cli, harness
from tf_tickets.data import pipeline
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import report
from tf_tickets.procedures.siblings import SiblingsPlan
from tf_tickets.procedures import siblings_report
from tf_tickets.pruning import flags as pruning_flags
from tf_tickets.pruning.config import DENSE
from tf_tickets.training import flags as train_flags

SIBLINGS = flags.DEFINE_integer("siblings", 4, "How many siblings (K >= 2); unions and intersections of "
                                "siblings 1..k are retrained for k = 2..K.")
PRETRAIN = flags.DEFINE_string("pretrain", "0it", "Shared dense training before the siblings part (0it: they "
                               "share only the initialisation; e.g. 500it or 2ep); the tickets rewind here.")


def build_plan(data) -> SiblingsPlan:
    if pruning_flags.MASK_FILE.value:
        raise TicketsError("--mask_file does not apply: the siblings' own weights give the masks")
    criterion = pruning_flags.criterion()
    base = harness.spec_from_flags("magnitude" if criterion == DENSE else criterion)
    root = train_flags.RUN_DIR.value or f"runs/siblings-{base.model}-{base.dataset}"
    steps_per_epoch = pipeline.steps_per_epoch(len(data.x_train), base.train.batch_size)
    return SiblingsPlan(base, SIBLINGS.value, PRETRAIN.value, grid_cli.seeds(), root, steps_per_epoch)


def main(argv):
    data = harness.load_data(harness.spec_from_flags(DENSE))
    plan = build_plan(data)
    if grid_cli.PRINT_COMMANDS.value:
        grid_cli.print_commands("tf_tickets.siblings", plan.root,
                                f"siblings-pretrain{plan.pretrain}-sparsity{plan.sparsity:g}", [plan],
                                grid_cli, sys.modules[__name__])
        return 0
    if not grid_cli.GATHER.value:
        stages = grid_cli.chosen([plan])
        strategy, _ = harness.devices(plan.base)
        report.run_stages(plan, stages, data, strategy, verbose=cli.verbose(),
                          claim_timeout=grid_cli.CLAIM_TIMEOUT.value)
        if grid_cli.STAGE.value:
            return 0
        print()
    plan.place()  # where every run is now (another worker may have placed some beside)
    print(siblings_report.gather(plan, data))
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.siblings")
