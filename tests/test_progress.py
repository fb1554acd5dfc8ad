"""The progress lines of a batch of runs: what a user reads while a grid trains."""
import re

from tf_tickets.progress import Progress


def _etas(text):
    return [re.search(r"ETA (\d+) s", line).group(1) for line in text.splitlines() if "ETA" in line]


def test_eta_leaves_out_the_first_runs_one_off_costs(capsys):
    """The first run of a grid pays the compile that later runs share: once a second run has finished, the
    estimate is the later runs' pace, not a mean the first one inflates."""
    progress = Progress(total=5)
    try:
        progress.done("a/seed0", {"test_accuracy": 0.5}, 12.0)  # compiles
        progress.done("a/seed1", {"test_accuracy": 0.5}, 2.0)
        progress.done("a/seed2", {}, 0.0, reused=True)          # finished in an earlier invocation
        progress.done("b/seed0", {"test_accuracy": 0.5}, 4.0)
        progress.done("b/seed1", {"test_accuracy": 0.75}, 3.0)
    finally:
        progress.close()
    out = capsys.readouterr().out
    assert _etas(out) == ["48", "6", "3", "0"]  # 4 x 12; 3 x 2; 1 x (2 + 4) / 2; none left
    assert "[3/5] a/seed2  -  (finished earlier)" in out
    assert "[5/5] b/seed1  75.00%  (3 s, ETA 0 s)" in out
