"""What every entry point shares: absl's app.run with bad input turned into one line and exit code 2."""
import sys

from absl import app, flags

from tf_tickets.errors import TicketsError

USAGE_ERROR = 2


def fail(program: str, message: str) -> None:
    sys.stderr.write(f"{program}: error: {message}\n")
    sys.exit(USAGE_ERROR)


def run(main, program: str) -> None:
    """Runs `main(argv)` as an absl app; flag errors and `TicketsError`s exit 2 with one line."""

    def parse_flags(argv):
        try:
            return flags.FLAGS(argv)
        except flags.Error as error:
            fail(program, str(error).replace("\n", " "))

    def guarded(argv):
        if len(argv) > 1:
            fail(program, f"unexpected arguments: {' '.join(argv[1:])}")
        try:
            return main(argv)
        except TicketsError as error:
            fail(program, str(error))

    app.run(guarded, flags_parser=parse_flags)


def as_flagfile(*modules) -> str:
    """The flags defined in `modules` (their values now) as a flagfile that reproduces the run."""
    lines = (f.serialize() for module in modules for f in flags.FLAGS.get_flags_for_module(module))
    return "".join(line + "\n" for line in lines if line)
