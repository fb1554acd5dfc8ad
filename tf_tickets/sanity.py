"""Sanity checks for one ticket: `python -m tf_tickets.sanity --flagfile=configs/embedded_sanity.cfg`.

Runs the procedure (or a criterion's ticket at initialisation) and each check (random labels, random
pixels, half the data, layerwise rearrange, weight shuffling, reinitialisation, score inversion) over
several seeds, then writes a table (Markdown and CSV, mean ± std per check), a plot, and a verdict per
check. Finished runs are reused and killed ones resume. Any number of copies of the command (on one
machine, or on several sharing --run_dir) share the runs, each run trained once. `--print_commands`
prints one command per run, wave by wave, with the runs each reads, for a scheduler (a SLURM job array,
say); `--gather` then builds the table from the run dirs.
"""
import sys

from absl import flags

from tf_tickets import checks, cli, grid_cli, harness, procedures
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import report
from tf_tickets.procedures import flags as procedure_flags
from tf_tickets.pruning import flags as pruning_flags
from tf_tickets.pruning.config import DENSE, split_budget
from tf_tickets.training import flags as train_flags

PROCEDURE = flags.DEFINE_string("procedure", None, "The procedure to check: at_init (with --criterion), or a "
                                "partially-trained one: " + ", ".join(procedures.PROCEDURES.names())
                                + " (default: at_init).")
METHODS = flags.DEFINE_list("methods", None, "Several tickets in one report, procedure[:criterion][@budget] or "
                            "criterion[@budget] each (e.g. random@smart_ratio,snip@global,lottery:magnitude_gradient); "
                            "checks that do not apply to one are reported, not run.")
CHECKS = flags.DEFINE_list("checks", None, "Checks to run (default: the paper's checks that apply to the ticket): "
                           + ", ".join(checks.names()) + ".")


def chosen_name() -> str:
    """The procedure or criterion that --procedure and --criterion (or the deprecated --method) name."""
    return procedures.resolve(PROCEDURE.value, pruning_flags.CRITERION.value, pruning_flags.method())


def build_grid(name=None, budget=None, several=False, named_with_budget=False):
    """The grid of one ticket: a procedure or a criterion's ticket at initialisation (--procedure and
    --criterion, or `name`/`budget` from an entry of --methods). `named_with_budget`: its runs, table and
    label carry the budget ("random@erk"), for --methods that list one name under several budgets (their
    runs would otherwise share directories)."""
    name = name or chosen_name()
    if name == DENSE or pruning_flags.MASK_FILE.value:
        raise TicketsError("set --procedure or --criterion to the ticket to check (a criterion such as snip, or a "
                           "procedure: lottery, lr_rewinding, hybrid, ...)")
    procedures.base.check_name(name)
    # The base run carries the shared budget, policy and options; each procedure sets its criterion.
    base = harness.spec_from_flags(DENSE if procedures.base.is_procedure(name) else name, budget)
    seeds = grid_cli.seeds()
    procedure = procedures.make(name, base, **procedure_flags.values())
    if named_with_budget:
        procedure.name = f"{procedure.name}@{base.pruning.budget}"
    chosen = CHECKS.value if CHECKS.value is not None else procedure.applicable_checks()
    root = train_flags.RUN_DIR.value or f"runs/sanity-{base.model}-{base.dataset}"
    return procedures.Grid(procedure, base.pruning.sparsity, seeds, chosen, root, skip_inapplicable=several)


def build_grids():
    if not METHODS.value:
        return [build_grid()]
    entries = [split_budget(entry) for entry in METHODS.value]
    names = [name for name, _ in entries]
    grids = [build_grid(name, budget, several=True, named_with_budget=names.count(name) > 1)
             for name, budget in entries]
    for grid in grids[1:]:  # one compiled model per architecture and settings for the whole report
        grid.compiled = grids[0].compiled
    return grids


def without_method() -> dict:
    """For the flagfile of --print_commands: what the deprecated --method stood for, as --procedure or
    --criterion."""
    if pruning_flags.METHOD.value == DENSE or METHODS.value:
        return {}
    name, criterion = chosen_name(), pruning_flags.CRITERION
    return {PROCEDURE.name: name, criterion.name: criterion.value} if procedures.base.is_procedure(name) else \
        {criterion.name: name}


def print_commands(grids) -> None:
    names = "-".join(g.procedure.slug for g in grids)
    grid_cli.print_commands("tf_tickets.sanity", grids[0].root, f"grid-{names}-sparsity{grids[0].sparsity:g}",
                            grids, procedure_flags, grid_cli, sys.modules[__name__], changes=without_method())


def main(argv):
    grids = build_grids()
    if grid_cli.PRINT_COMMANDS.value:
        print_commands(grids)
        return 0
    if not grid_cli.GATHER.value:
        stages = grid_cli.chosen(grids)
        base = grids[0].base
        strategy, _ = harness.devices(base)
        data = harness.load_data(base)
        report.run_stages(grids, stages, data, strategy, verbose=cli.verbose(),
                          claim_timeout=grid_cli.CLAIM_TIMEOUT.value)
        if grid_cli.STAGE.value:
            return 0
        print()
    for grid in grids:
        grid.place()  # where every run is now (another worker may have placed some beside)
        print(f"{report.gather(grid)}\n")
    print(f"({report.VERDICT_RULE})")
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.sanity")
