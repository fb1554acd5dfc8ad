"""Sanity checks for one pruning method: `python -m tf_tickets.sanity --flagfile=configs/embedded_sanity.cfg`.

Runs the method and each check (random labels, random pixels, half the data, layerwise rearrange,
weight shuffling, reinitialisation, score inversion) over several seeds, then writes a table
(Markdown and CSV, mean ± std per check), a plot, and a verdict per check. Finished runs are reused
and killed ones resume. Past one machine: `--print_commands` prints one command per run, wave by
wave, for a scheduler (a SLURM job array, say); `--gather` then builds the table from the run dirs.
"""
import os
import shlex
import sys

from absl import flags

from tf_tickets import checks, cli, files, harness, procedures
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import report
from tf_tickets.procedures import flags as procedure_flags
from tf_tickets.pruning import flags as pruning_flags
from tf_tickets.pruning.config import DENSE, parse_method_budget
from tf_tickets.training import flags as train_flags

PROCEDURE = flags.DEFINE_string("procedure", None, "The procedure to check: at_init (with --criterion), or a "
                                "partially-trained one: " + ", ".join(procedures.PROCEDURES.names())
                                + " (default: --method).")
METHODS = flags.DEFINE_list("methods", None, "Several methods in one report, method[:criterion][@budget] each "
                            "(e.g. random@smart_ratio,snip@global,lottery:magnitude_gradient); checks that do not "
                            "apply to one are reported, not run.")
SEEDS = flags.DEFINE_list("seeds", ["0", "1"], "Seeds: each check runs once per seed.")
CHECKS = flags.DEFINE_list("checks", None, "Checks to run (default: the paper's checks that apply to the method): "
                           + ", ".join(checks.names()) + ".")
PRINT_COMMANDS = flags.DEFINE_boolean("print_commands", False, "Print one command per run (wave by wave) and exit.")
STAGE = flags.DEFINE_string("stage", None, "Run only this run of the grid (as printed by --print_commands).")
GATHER = flags.DEFINE_boolean("gather", False, "Only build the table from finished runs.")


def build_grid(method=None, budget=None, several=False):
    """The grid of one method (--procedure/--criterion/--method, or `method`/`budget` from --methods)."""
    method = method or procedures.resolve(pruning_flags.METHOD.value, PROCEDURE.value, pruning_flags.CRITERION.value)
    if method == DENSE or pruning_flags.MASK_FILE.value:
        raise TicketsError("set --method to the pruning method to check (a criterion such as snip, or lottery, "
                           "lr_rewinding, hybrid, ...)")
    procedures.base.check_method(method)
    # The base run carries the shared budget, policy and options; each procedure sets its criterion.
    base = harness.spec_from_flags(DENSE if procedures.base.is_procedure(method) else method, budget)
    try:
        seeds = [int(s) for s in SEEDS.value]
    except ValueError:
        raise TicketsError(f"--seeds must be integers, got {','.join(SEEDS.value)}") from None
    procedure = procedures.make(method, procedure_flags.settings(base))
    chosen = CHECKS.value if CHECKS.value is not None else procedure.applicable_checks()
    root = train_flags.RUN_DIR.value or f"runs/sanity-{base.model}-{base.dataset}"
    grid = procedures.Grid(procedure, base.pruning.sparsity, seeds, chosen, root, skip_inapplicable=several)
    grid.base = base
    return grid


def build_grids():
    if not METHODS.value:
        return [build_grid()]
    return [build_grid(*parse_method_budget(entry), several=True) for entry in METHODS.value]


def print_commands(grids) -> None:
    root = grids[0].root
    names = "-".join(g.procedure.slug for g in grids)
    flagfile = os.path.join(root, f"grid-{names}-sparsity{grids[0].sparsity:g}.cfg")
    settings = harness.flagfile(procedure_flags, sys.modules[__name__])
    settings = "".join(line + "\n" for line in settings.splitlines()
                       if not line.startswith(("--print_commands", "--noprint_commands", "--stage", "--gather",
                                               "--nogather", "--run_dir")))
    files.write_atomic(flagfile, settings + f"--run_dir={root}\n")
    waves = merged_waves(grids)
    for number, wave in enumerate(waves, start=1):
        after = f" (after wave {number - 1} has finished)" if number > 1 else ""
        print(f"# wave {number} of {len(waves)}: {len(wave)} runs{after}")
        for stage in wave:
            print(f"python -m tf_tickets.sanity --flagfile={shlex.quote(flagfile)} --stage={shlex.quote(stage.name)}")
    print(f"# then: python -m tf_tickets.sanity --flagfile={shlex.quote(flagfile)} --gather")


def merged_waves(grids):
    """The runs of several grids, wave by wave, each run once."""
    waves, seen = [], set()
    for grid in grids:
        for number, wave in enumerate(grid.waves()):
            waves += [[] for _ in range(number + 1 - len(waves))]
            for stage in wave:
                if stage.name not in seen:
                    seen.add(stage.name)
                    waves[number].append(stage)
    return waves


def main(argv):
    grids = build_grids()
    if PRINT_COMMANDS.value:
        print_commands(grids)
        return 0
    if not GATHER.value:
        stages = [stage for wave in merged_waves(grids) for stage in wave]
        if STAGE.value:
            stages = [stage for stage in stages if stage.name == STAGE.value]
            if not stages:
                raise TicketsError(f"no run {STAGE.value!r} in this grid; see --print_commands")
        base = grids[0].base
        strategy, _ = harness.devices(base)
        data = harness.load_data(base)
        report.run_stages(grids[0], stages, data, strategy, verbose=cli.verbose())
        if STAGE.value:
            return 0
        print()
    for grid in grids:
        print(f"{report.gather(grid)}\n")
    print(f"({report.VERDICT_RULE})")
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.sanity")
