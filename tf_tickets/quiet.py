"""Keeps TensorFlow's start-up and bookkeeping noise out of what a person reads.

TensorFlow's native code prints notices before its logging is set up (oneDNN, "could not find cuda
drivers", a failed cuInit on a machine without a GPU) straight to the process's stderr, where no
logging setting reaches them. `native_logs()` catches the stderr of a block (TensorFlow's import, the
first device query) and passes on every line but those. `TF_TICKETS_VERBOSE=1`, or `--verbose` on a
command line, keeps everything.
"""
import contextlib
import os
import re
import sys
import tempfile

_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
                    r"|[IW]0000 00:00:"  # native INFO/WARNING lines written before logging is set up
                    r"|INFO: Created TensorFlow Lite XNNPACK delegate"  # LiteRT, each time an interpreter starts
                    r"|fully_quantize: \d"  # the TFLite converter's int8 settings
                    r"|E0000 00:00:\S+ +\d+ cuda_(platform|driver|executor)\.cc)")  # cuInit without a GPU


def verbose() -> bool:
    return os.environ.get("TF_TICKETS_VERBOSE") == "1" or "--verbose" in sys.argv


def is_noise(line: str) -> bool:
    return bool(_NOISE.match(line))


@contextlib.contextmanager
def native_logs():
    """Runs the block with the process's stderr caught, then writes back all but TensorFlow's noise."""
    if verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (an embedding host): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().decode("utf-8", "replace").splitlines(True) if not is_noise(line)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()
