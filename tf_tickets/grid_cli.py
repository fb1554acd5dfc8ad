"""What the commands that run a plan of many runs share (`sanity`, `siblings`): seeds, several workers on
one plan (`--claim_timeout`), one command per run for a scheduler (`--print_commands`), one run of the
plan (`--stage`), and `--gather`."""
import os
import shlex
from typing import List

from absl import flags

from tf_tickets import files, harness
from tf_tickets.errors import TicketsError
from tf_tickets.procedures.grid import waves_of
from tf_tickets.training.claims import DEFAULT_TIMEOUT

SEEDS = flags.DEFINE_list("seeds", ["0", "1"], "Seeds: each run of the plan runs once per seed.")
PRINT_COMMANDS = flags.DEFINE_boolean("print_commands", False, "Print one command per run (wave by wave, each "
                                      "with the runs it reads) and exit.")
STAGE = flags.DEFINE_string("stage", None, "Run only this run of the plan (as printed by --print_commands), "
                            "after the runs it reads (running those no other worker has claimed).")
GATHER = flags.DEFINE_boolean("gather", False, "Only build the tables from finished runs.")
CLAIM_TIMEOUT = flags.DEFINE_float("claim_timeout", DEFAULT_TIMEOUT, "Seconds without a heartbeat after which "
                                   "another worker takes over a run (its worker died) and resumes it.",
                                   lower_bound=1.0)

_NOT_REPEATED = ("--print_commands", "--noprint_commands", "--stage", "--gather", "--nogather", "--run_dir")


def seeds() -> List[int]:
    try:
        return [int(s) for s in SEEDS.value]
    except ValueError:
        raise TicketsError(f"--seeds must be integers, got {','.join(SEEDS.value)}") from None


def print_commands(program: str, root: str, name: str, plans, *modules, changes=None) -> None:
    """Writes the flags (of training, pruning and `modules`; `changes`, flag name -> value, in place of theirs)
    as `root/name.cfg`, then prints one command per run, wave by wave (a run's inputs are in earlier waves, so
    each wave can run in parallel), each followed by a comment naming the runs it reads."""
    flagfile = os.path.join(root, f"{name}.cfg")
    settings = harness.flagfile(*modules, changes=changes)
    settings = "".join(line + "\n" for line in settings.splitlines() if not line.startswith(_NOT_REPEATED))
    files.write_atomic(flagfile, settings + f"--run_dir={root}\n")
    command = f"python -m {program} --flagfile={shlex.quote(flagfile)}"
    directory = {key: stage.name for plan in plans for key, stage in plan.stages.items()}
    waves = waves_of(plans)
    print("# one command per run; '# after' names the runs it reads: a command whose runs have not finished "
          "runs them first, or waits for the worker that trains them")
    for number, wave in enumerate(waves, start=1):
        after = f" (after wave {number - 1} has finished)" if number > 1 else ""
        print(f"# wave {number} of {len(waves)}: {len(wave)} runs{after}")
        for stage in wave:
            inputs = " ".join(shlex.quote(directory[a]) for a in stage.after)
            print(f"{command} --stage={shlex.quote(stage.name)}" + (f"  # after {inputs}" if inputs else ""))
    print(f"# then: {command} --gather")


def chosen(plans) -> list:
    """The runs to run now, wave by wave: all of them, or the one `--stage` names (by its directory, or by the
    name its procedure gives it: the same unless another sweep's run was there first)."""
    stages = [stage for wave in waves_of(plans) for stage in wave]
    if not STAGE.value:
        return stages
    picked = [stage for stage in stages if stage.name == STAGE.value]
    for plan in plans:
        if not picked and STAGE.value in plan.stages:
            picked = [plan.stages[STAGE.value]]
    if not picked:
        raise TicketsError(f"no run {STAGE.value!r} in this plan; see --print_commands")
    return picked
