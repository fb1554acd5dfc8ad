"""`sanity_check`, `jackpot.search`, `combine_masks` and `overlap` on Keras 3's JAX and PyTorch backends, each in a
process of its own where TensorFlow cannot be imported (tests/keras3_run_checks.py); and a Keras 3 run killed in
the middle (on JAX) that resumes from its last checkpoint to the very numbers of the same run left alone."""
import glob
import json
import os
import subprocess
import sys
import time

from tests.conftest import REPO, cli_env

CHECKS = REPO / "tests" / "keras3_run_checks.py"
RUN = os.path.join("magnitude", "sparsity0.8", "plain", "seed0")  # the run that is killed, under its root


def start(args, log_path, backend):
    with open(log_path, "w") as log:  # output to a file: a pipe that fills up would stall the process
        return subprocess.Popen([sys.executable, str(CHECKS), *args], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                env=cli_env(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2"))


def killed_once_checkpointed(process, run_dir, timeout=300):
    """Kills `process` as soon as its run has written a checkpoint (the run itself not finished)."""
    deadline = time.time() + timeout
    while not glob.glob(os.path.join(run_dir, "checkpoints", "epoch-*.npz")):
        assert process.poll() is None and time.time() < deadline, "the run ended before its first checkpoint"
        time.sleep(0.01)
    process.kill()
    process.wait()


def test_sanity_check_jackpot_combine_and_overlap_without_tensorflow_and_a_killed_run_resumes(tmp_path):
    processes = {backend: start(["checks", str(tmp_path / backend)] + (["--reference"] if backend == "jax" else []),
                                tmp_path / f"{backend}.log", backend) for backend in ("jax", "torch")}
    killed_root = tmp_path / "killed"
    killed = start(["resume", str(killed_root)], tmp_path / "killed.log", "jax")
    killed_once_checkpointed(killed, killed_root / RUN)
    assert not (killed_root / RUN / "results.json").exists()  # cut short: what follows resumes it
    finished = {epoch["epoch"] for epoch in json.loads((killed_root / RUN / "metrics.json").read_text())}
    resumed = start(["resume", str(killed_root)], tmp_path / "resumed.log", "jax")
    for name, process in [*processes.items(), ("resumed", resumed)]:
        assert process.wait(timeout=600) == 0, f"--- {name} ---\n" + (tmp_path / f"{name}.log").read_text()[-3000:]

    reference = tmp_path / "jax" / "uninterrupted" / RUN
    for name in ("results.json", "metrics.json"):
        got, expected = json.loads((killed_root / RUN / name).read_text()), json.loads((reference / name).read_text())
        if name == "results.json":
            assert got["test_accuracy"] == expected["test_accuracy"] and got["steps"] == expected["steps"]
        else:  # every epoch's loss and accuracy, to the bit, those before the kill kept from the first process
            assert finished and [{k: row[k] for k in ("epoch", "step", "loss", "accuracy")} for row in got] == \
                [{k: row[k] for k in ("epoch", "step", "loss", "accuracy")} for row in expected]
    assert "taken over" in (killed_root / RUN / "claims.log").read_text()  # the dead process's claim, taken over
