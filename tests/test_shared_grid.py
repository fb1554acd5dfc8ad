"""One grid, several workers and sweeps: each run trained once, by whichever worker claims it; a killed worker's
run taken over and resumed; a sweep over a setting of the cells gets cells of its own beside the shared
pretraining; a root moved elsewhere keeps its runs."""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from absl import flags

from tests.conftest import REPO, cli_env
from tests.test_train_cli import last_checkpoint
from tf_tickets import sanity
from tf_tickets.training import claims
from tf_tickets.training.run_dir import OtherSettings, RunDir

TINY = ["--model=mnist_conv_small", "--dataset=embedded", "--train_fraction=0.25", "--batch_size=50", "--lr=0.05",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=30it"]
SWEEP = [*TINY, "--method=fine_tuning", "--sparsity=0.9", "--seeds=0", "--checks="]


@pytest.fixture
def grid_of(monkeypatch):
    """The sanity grid that these flags describe, placed under its root as the directories are now."""
    monkeypatch.chdir(REPO)

    def build(*args):
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["tf_tickets", *args])
        return sanity.build_grid()

    yield build
    flags.FLAGS.unparse_flags()


def claim_all(grid):
    """Each run's directory claimed by its settings, as when its worker starts training it."""
    for key, stage in grid.stages.items():
        RunDir(grid.path(key)).claim(stage.spec.identity())


def test_a_sweep_gets_cells_beside_the_others_and_shares_their_pretraining(tmp_path, grid_of):
    root = tmp_path / "grid"
    first = grid_of(*SWEEP, "--finetune_steps=10it", "--seeds=0,1", "--checks=random_labels", f"--run_dir={root}")
    claim_all(first)
    sweep = grid_of(*SWEEP, "--finetune_steps=20it", "--seeds=0,1", "--checks=random_labels", f"--run_dir={root}")
    pretraining = [key for key in sweep.stages if key.startswith("pretrain/")]
    assert len(pretraining) == 4 and all(sweep.stages[key].name == key for key in pretraining)  # shared
    assert sweep.cells == {cell: f"{name}+training_steps=20it" for cell, name in first.cells.items()}
    assert sweep.table_dir() == str(root / "fine_tuning/sparsity0.9+training_steps=20it")
    assert first.table_dir() == str(root / "fine_tuning/sparsity0.9")
    cell = sweep.stages[sweep.cell_keys[(None, 0)]]
    assert cell.spec.identity()["score_from"] == "pretrain/clean/seed0/final_weights.npz"
    claim_all(sweep)
    assert grid_of(*SWEEP, "--finetune_steps=20it", "--seeds=0,1", "--checks=random_labels",
                   f"--run_dir={root}").cells == sweep.cells  # found again
    assert grid_of(*SWEEP, "--finetune_steps=10it", "--seeds=0,1", "--checks=random_labels",
                   f"--run_dir={root}").cells == first.cells


def test_of_two_sweeps_started_at_once_the_first_to_claim_a_directory_keeps_it(tmp_path, grid_of):
    root = tmp_path / "grid"
    ours = grid_of(*SWEEP, "--finetune_steps=10it", f"--run_dir={root}")
    theirs = grid_of(*SWEEP, "--finetune_steps=20it", f"--run_dir={root}")
    assert ours.cells == theirs.cells  # an empty root: both planned the same directory
    claim_all(theirs)
    stage = ours.stages[ours.cell_keys[(None, 0)]]
    with pytest.raises(OtherSettings):
        ours.run(stage, data=None)  # refused before anything is loaded or written
    ours.place()  # what the worker loop does then
    assert ours.cells[(None, 0)] == theirs.cells[(None, 0)] + "+training_steps=10it"
    assert ours.stages["pretrain/clean/seed0"].name == "pretrain/clean/seed0"


def test_a_sweep_trains_only_its_own_cells_and_a_moved_root_keeps_every_run(tmp_path, run_main):
    root = tmp_path / "grid"
    first = run_main("tf_tickets.sanity", *SWEEP, "--finetune_steps=10it", f"--run_dir={root}")
    assert first.returncode == 0, first.stderr[-3000:]
    sweep = run_main("tf_tickets.sanity", *SWEEP, "--finetune_steps=20it", f"--run_dir={root}")
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    lines = [line for line in sweep.stdout.splitlines() if line.startswith("[")]
    assert lines[0].startswith("[1/2] pretrain/clean/seed0 ") and lines[0].endswith("(finished earlier)")
    assert lines[1].startswith("[2/2] fine_tuning/sparsity0.9/plain/seed0+training_steps=20it ")
    assert (root / "fine_tuning/sparsity0.9/sanity.md").is_file()
    assert (root / "fine_tuning/sparsity0.9+training_steps=20it/sanity.md").is_file()
    config = json.loads((root / "fine_tuning/sparsity0.9/plain/seed0+training_steps=20it/config.json").read_text())
    assert config["start_from"] == config["score_from"] == "pretrain/clean/seed0/final_weights.npz"

    moved = tmp_path / "mounted" / "elsewhere"
    shutil.move(str(root), str(moved))
    again = run_main("tf_tickets.sanity", *SWEEP, "--finetune_steps=20it", f"--run_dir={moved}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("(finished earlier)") == 2 and "ETA" not in again.stdout


WORKER = ["--model=mnist_lenet_300_100", "--dataset=embedded", "--train_fraction=0.1", "--batch_size=50",
          "--lr=0.05", "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false",
          "--training_steps=20it", "--method=lottery", "--sparsity=0.8", "--seeds=0,1", "--checks=rearrange"]


def start_worker(root, *extra):
    return subprocess.Popen([sys.executable, "-m", "tf_tickets.sanity", *WORKER, f"--run_dir={root}", *extra],
                            cwd=REPO, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_dirs(root):
    return sorted(str(p.parent.relative_to(root)) for p in root.rglob("config.json"))


@pytest.mark.slow
def test_three_workers_train_every_run_once_and_print_the_tables_of_one(tmp_path, run_main):
    root = tmp_path / "shared"
    workers = [start_worker(root) for _ in range(3)]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    assert len(run_dirs(root)) == 6  # per seed: the pretraining, the ticket and the rearranged ticket
    lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == 3 * 6  # each worker accounts for every run
    trained = collections.Counter(re.match(r"\[\d+/6\] (\S+) ", line).group(1) for line in lines if "ETA" in line)
    assert sorted(trained) == run_dirs(root) and set(trained.values()) == {1}  # each by one worker
    for name in run_dirs(root):
        log = (root / name / claims.LOG).read_text().splitlines()
        assert len(log) == 1 and log[0].endswith(": trains") and not (root / name / claims.CLAIM).exists(), name
    tables = [out[out.index("lottery at sparsity"):] for out, _ in outputs]
    assert tables[0] == tables[1] == tables[2]

    alone = run_main("tf_tickets.sanity", *WORKER, f"--run_dir={tmp_path / 'alone'}")
    assert alone.returncode == 0, alone.stderr[-3000:]
    for table in ("sanity.md", "sanity.csv"):
        assert (root / "lottery/sparsity0.8" / table).read_text() == \
            (tmp_path / "alone/lottery/sparsity0.8" / table).read_text()


@pytest.mark.slow
def test_a_run_of_a_worker_killed_mid_run_is_taken_over_and_resumed(tmp_path):
    root = tmp_path / "shared"
    args = ["--training_steps=20ep", "--train_fraction=1", "--method=snip", "--seeds=0", "--checks="]
    killed = start_worker(root, *args)
    run = root / "snip/sparsity0.8/plain/seed0"
    deadline = time.time() + 240
    while time.time() < deadline and last_checkpoint(run / "checkpoints") < 2:
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate()
    assert not (run / "results.json").exists(), "the run finished before it could be killed"
    assert (run / claims.CLAIM).exists()  # left behind by the killed worker

    other = start_worker(root, *args)  # on this machine the dead worker's claim is taken over at once
    out, err = other.communicate(timeout=600)
    assert other.returncode == 0, err[-3000:]
    log = (run / claims.LOG).read_text().splitlines()
    assert len(log) == 2 and "taken over from" in log[1] and f"pid {killed.pid} (its process is gone)" in log[1]
    assert re.search(r"resuming \S+ at epoch ([3-9]|1\d|20) of 20", (run / "log.txt").read_text())
    results = json.loads((run / "results.json").read_text())
    assert results["steps"] == 20 * 120 and not (run / claims.CLAIM).exists()
