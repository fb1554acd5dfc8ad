"""What the commands that run a plan of many runs share (`sanity`, `siblings`): seeds, one command per
run for a scheduler (`--print_commands`), one run of the plan (`--stage`), and `--gather`."""
import os
import shlex
from typing import List

from absl import flags

from tf_tickets import files, harness
from tf_tickets.errors import TicketsError

SEEDS = flags.DEFINE_list("seeds", ["0", "1"], "Seeds: each run of the plan runs once per seed.")
PRINT_COMMANDS = flags.DEFINE_boolean("print_commands", False, "Print one command per run (wave by wave) and exit.")
STAGE = flags.DEFINE_string("stage", None, "Run only this run of the plan (as printed by --print_commands).")
GATHER = flags.DEFINE_boolean("gather", False, "Only build the tables from finished runs.")

_NOT_REPEATED = ("--print_commands", "--noprint_commands", "--stage", "--gather", "--nogather", "--run_dir")


def seeds() -> List[int]:
    try:
        return [int(s) for s in SEEDS.value]
    except ValueError:
        raise TicketsError(f"--seeds must be integers, got {','.join(SEEDS.value)}") from None


def print_commands(program: str, root: str, name: str, waves, *modules) -> None:
    """Writes the flags (of training, pruning and `modules`) as `root/name.cfg`, then prints one command
    per run, wave by wave: a run's inputs are in earlier waves, so each wave can run in parallel."""
    flagfile = os.path.join(root, f"{name}.cfg")
    settings = harness.flagfile(*modules)
    settings = "".join(line + "\n" for line in settings.splitlines() if not line.startswith(_NOT_REPEATED))
    files.write_atomic(flagfile, settings + f"--run_dir={root}\n")
    command = f"python -m {program} --flagfile={shlex.quote(flagfile)}"
    for number, wave in enumerate(waves, start=1):
        after = f" (after wave {number - 1} has finished)" if number > 1 else ""
        print(f"# wave {number} of {len(waves)}: {len(wave)} runs{after}")
        for stage in wave:
            print(f"{command} --stage={shlex.quote(stage.name)}")
    print(f"# then: {command} --gather")


def chosen(stages):
    """The runs to run now: all of them, or the one `--stage` names."""
    if not STAGE.value:
        return stages
    picked = [stage for stage in stages if stage.name == STAGE.value]
    if not picked:
        raise TicketsError(f"no run {STAGE.value!r} in this plan; see --print_commands")
    return picked
