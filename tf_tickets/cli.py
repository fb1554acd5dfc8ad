"""What every entry point shares: absl's app.run with bad input turned into one line and exit code 2,
and output a person wants to read.

By default our own log lines are printed as plain text; TensorFlow's INFO lines and Keras' notes about
slow callbacks are dropped (they still reach each run's log file); warnings, ours and Python's, are one
line each. `--verbose` shows everything in absl's usual format.
"""
import copy
import logging as py_logging
import sys
import warnings
from typing import Any, Mapping, Optional, Sequence

from absl import app, flags, logging

from tf_tickets import deprecation, progress, quiet
from tf_tickets.errors import TicketsError

USAGE_ERROR = 2
# Shared by the commands that write reports or files (overlap, export, tools/tables.py): one flag, one meaning.
OUT = flags.DEFINE_string("out", None, "Where the command writes: a directory (overlap, export: default RUN/export) "
                          "or a file prefix (tools/tables.py: PREFIX.md, PREFIX.csv, PREFIX.png).")
# Shared by the commands that load a saved Keras model (train --start_from, export): tf_tickets.saving.load_model.
TRUST_MODEL_CODE = flags.DEFINE_boolean("trust_model_code", False, "Load a saved Keras model even if it carries "
                                        "Python code (a Lambda layer's bytecode, a function named by module), which "
                                        "then runs: only for a file you trust. Without it such a model is refused.")
VERBOSE = flags.DEFINE_boolean("verbose", False, "Show everything: TensorFlow's own log lines, Keras' per-epoch "
                               "lines of every run, absl's log format.")


def verbose() -> bool:
    return VERBOSE.value or quiet.verbose()


class _Readable(py_logging.Filter):
    """Our INFO lines (not while a progress line speaks for each run) and every warning or error; not
    TensorFlow's INFO lines, Keras' slow-callback notes or its retracing notes."""

    def filter(self, record):
        if record.levelno < py_logging.WARNING:
            return "tf_tickets" in record.pathname and not progress.speaking()
        message = str(record.msg)
        # Keras' notes on slow callbacks and on its own evaluation function being traced again for each
        # new model of a grid: nothing a user can act on.
        return not message.startswith("Callback method `") and "triggered tf.function retracing" not in message


class _Plain(py_logging.Formatter):
    def format(self, record):
        message = record.getMessage()
        return message if record.levelno < py_logging.WARNING else f"{record.levelname.lower()}: {message}"


def readable_output() -> None:
    """Plain, filtered log lines (unless --verbose); Python warnings as one log line each."""
    if verbose():
        return
    handler = logging.get_absl_handler()
    handler.addFilter(_Readable())
    handler.setFormatter(_Plain())
    py_logging.getLogger("tensorflow").addFilter(_Readable())  # Keras' notes come through TensorFlow's logger
    warnings.showwarning = lambda message, category, *_args, **_kwargs: logging.warning("%s", message)


def fail(program: str, message: str) -> int:
    sys.stderr.write(f"{program}: error: {message}\n")
    return USAGE_ERROR


def _guarded(main, program: str, argv, takes_arguments: bool = False) -> int:
    if len(argv) > 1 and not takes_arguments:
        return fail(program, f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        return main(argv) or 0
    except TicketsError as error:
        return fail(program, str(error))


def run(main, program: str, takes_arguments: bool = False) -> None:
    """Runs `main(argv)` as an absl app; flag errors and `TicketsError`s exit 2 with one line. Positional
    arguments are refused unless the program `takes_arguments`."""

    def parse_flags(argv):
        try:
            return flags.FLAGS(argv)
        except flags.Error as error:
            sys.exit(fail(program, str(error).replace("\n", " ")))

    def start(argv):
        readable_output()
        return _guarded(main, program, argv, takes_arguments)

    if "tensorflow" in sys.modules:  # its start-up hook would probe CUDA out loud: do it quietly first
        from tf_tickets.backend import probe_devices

        probe_devices()
    app.run(start, flags_parser=parse_flags)


def run_in_process(main, program: str, args: Sequence[str], takes_arguments: bool = False) -> int:
    """What `python -m <program> args...` does, in this process, returning the exit code (flags are
    reset to their defaults first): for tests and notebooks, without a new TensorFlow start-up."""
    flags.FLAGS.unparse_flags()
    deprecation.new_run()
    try:
        argv = flags.FLAGS([program, *args])
    except flags.Error as error:
        return fail(program, str(error).replace("\n", " "))
    return _guarded(main, program, argv, takes_arguments)


def as_flagfile(*modules, changes: Optional[Mapping[str, Any]] = None, leave_out: Sequence[str] = ()) -> str:
    """The flags defined in `modules` (their values now, or `changes[name]`) as a flagfile that reproduces
    the run; the flags named in `leave_out` (deprecated spellings) are not written."""
    lines = []
    for module in modules:
        for flag in flags.FLAGS.get_flags_for_module(module):
            if flag.name in leave_out:
                continue
            if changes and flag.name in changes:
                flag = copy.deepcopy(flag)  # serialized with the changed value; the process's flag stays as it is
                flag.value = changes[flag.name]
            lines.append(flag.serialize())
    return "".join(line + "\n" for line in lines if line)
