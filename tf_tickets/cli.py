"""What every entry point shares: absl's app.run with bad input turned into one line and exit code 2."""
import sys
from typing import Sequence

from absl import app, flags

from tf_tickets.errors import TicketsError

USAGE_ERROR = 2


def fail(program: str, message: str) -> int:
    sys.stderr.write(f"{program}: error: {message}\n")
    return USAGE_ERROR


def _guarded(main, program: str, argv) -> int:
    if len(argv) > 1:
        return fail(program, f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        return main(argv) or 0
    except TicketsError as error:
        return fail(program, str(error))


def run(main, program: str) -> None:
    """Runs `main(argv)` as an absl app; flag errors and `TicketsError`s exit 2 with one line."""

    def parse_flags(argv):
        try:
            return flags.FLAGS(argv)
        except flags.Error as error:
            sys.exit(fail(program, str(error).replace("\n", " ")))

    app.run(lambda argv: _guarded(main, program, argv), flags_parser=parse_flags)


def run_in_process(main, program: str, args: Sequence[str]) -> int:
    """What `python -m <program> args...` does, in this process, returning the exit code (flags are
    reset to their defaults first): for tests and notebooks, without a new TensorFlow start-up."""
    flags.FLAGS.unparse_flags()
    try:
        argv = flags.FLAGS([program, *args])
    except flags.Error as error:
        return fail(program, str(error).replace("\n", " "))
    return _guarded(main, program, argv)


def as_flagfile(*modules) -> str:
    """The flags defined in `modules` (their values now) as a flagfile that reproduces the run."""
    lines = (f.serialize() for module in modules for f in flags.FLAGS.get_flags_for_module(module))
    return "".join(line + "\n" for line in lines if line)
