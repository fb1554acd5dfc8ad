"""The tuning command end to end: real trials on the shipped subset, best.cfg, resume after kill -9,
Hyperband's continued trials, a chief and a worker on loopback, bad input."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, cli_env

# Tiny trials: a random ticket of LeNet-300-100 on the shipped subset, 30 steps each.
QUICK = ["--model=mnist_lenet_300_100", "--dataset=embedded", "--criterion=random", "--sparsity=0.9",
         "--budget=smart_ratio", "--training_steps=30it", "--lr_schedule=constant", "--milestones=",
         "--validate_every_epoch=false"]
SPACE = "--space=learning_rate:log:0.01:0.3,budget:choice:smart_ratio|erk,linear_keep_ratio:0.1:0.5"


def read_json(path):
    with open(path) as f:
        return json.load(f)


def trial_values(tune_dir, trial_id):
    return read_json(tune_dir / "keras_tuner" / f"trial_{trial_id}" / "trial.json")["hyperparameters"]["values"]


def test_two_trial_search_writes_a_best_cfg_that_train_reproduces(tmp_path, run_main):
    tune_dir = tmp_path / "tune"
    result = run_main("tf_tickets.tune", *QUICK, "--tuner=random", "--max_trials=2", SPACE, f"--tune_dir={tune_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("[")] == ["[1/2]", "[2/2]"]
    assert "Search: Running Trial" not in result.stdout  # keras-tuner's own chatter stays off

    for trial_id in ("0", "1"):  # each trial is a real run with the trial's values in place of the flags'
        values, config = trial_values(tune_dir, trial_id), read_json(tune_dir / "trials" / trial_id / "config.json")
        assert config["lr"] == values["learning_rate"] and config["pruning"]["budget"] == values["budget"]
        assert config["pruning"]["budget_options"] == (
            {"linear_keep_ratio": values["linear_keep_ratio"]} if values["budget"] == "smart_ratio" else {})
        assert (config["model"], config["training_steps"], config["pruning"]["method"]) == \
            ("mnist_lenet_300_100", "30it", "random")
        assert 0.1 < read_json(tune_dir / "trials" / trial_id / "results.json")["test_accuracy"] <= 1
    table = (tune_dir / "trials.md").read_text()
    assert table.count("COMPLETED") == 2 and "linear_keep_ratio" in table

    # best.cfg is the best trial's run: tf_tickets.train trains exactly that run (the same config.json).
    accuracy = {t: read_json(tune_dir / "trials" / t / "results.json")["test_accuracy"] for t in ("0", "1")}
    best = max(accuracy, key=accuracy.get)
    best_cfg = tune_dir / "best.cfg"
    assert f"trial {best}" in best_cfg.read_text() and f"--run_dir={tune_dir / 'best'}" in best_cfg.read_text()
    trained = run_main("tf_tickets.train", f"--flagfile={best_cfg}")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert read_json(tune_dir / "best" / "config.json") == read_json(tune_dir / "trials" / best / "config.json")


def test_hyperband_trains_each_trial_for_its_epochs_and_continues_the_best(tmp_path, run_main):
    tune_dir = tmp_path / "tune"
    # max_epochs 3, factor 3: three 1-epoch trials, then the best of them continues to 3 epochs (trial 3).
    result = run_main("tf_tickets.tune", *QUICK, "--tuner=hyperband", "--hyperband_max_epochs=3",
                      "--hyperband_epoch=20it", "--max_trials=4", "--space=lr:log:0.01:0.3", f"--tune_dir={tune_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    trials = tune_dir / "trials"
    assert [read_json(trials / t / "results.json")["steps"] for t in ("0", "1", "2", "3")] == [20, 20, 20, 60]
    parent = str(trial_values(tune_dir, "3")["tuner/trial_id"])
    best_of_first = max("012", key=lambda t: read_json(trials / t / "results.json")["test_accuracy"])
    assert parent == best_of_first and f"(continues trial {parent})" in result.stdout
    config = read_json(trials / "3" / "config.json")  # from the parent's final weights and masks, at step 20
    assert (config["start_from"], config["start_step"]) == (str(trials / parent / "final_weights.npz"), 20)
    assert config["pruning"]["mask_file"] == str(trials / parent / "masks.npz")
    best = max("0123", key=lambda t: read_json(trials / t / "results.json")["test_accuracy"])
    assert f"--training_steps={60 if best == '3' else 20}it" in (tune_dir / "best.cfg").read_text()


def test_bayesian_search_completes(tmp_path, run_main):
    tune_dir = tmp_path / "tune"
    result = run_main("tf_tickets.tune", *QUICK, "--tuner=bayesian", "--max_trials=2", SPACE, f"--tune_dir={tune_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tune_dir / "trials.md").read_text().count("COMPLETED") == 2 and (tune_dir / "best.cfg").exists()


@pytest.mark.parametrize("args, message", [
    (["--tuner=grid", "--space=lr:0.01:0.1"], "--tuner"),
    (["--max_trials=0", "--space=lr:0.01:0.1"], "--max_trials"),
    (["--space=lr:0.5:0.1"], "LOW must be below HIGH"),
    (["--space=lr:log:0:0.1"], "LOW > 0"),
    (["--space=nonsense:0:1"], "neither a flag"),
    (["--space=budget:choice:smart_ratio|uniform"], "unknown budget 'uniform'"),
    (["--space=linear_keep_ratio:0.1:0.5", "--budget=erk"], "an option of smart_ratio"),
    (["--space=learning_rate:0.01:0.1,lr:0.01:0.2"], "twice"),
    (["--space="], "--space is empty"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, run_main, args, message):
    tune_dir = tmp_path / "tune"
    result = run_main("tf_tickets.tune", *QUICK, *args, f"--tune_dir={tune_dir}")
    assert result.returncode == 2
    assert result.stderr.startswith("tf_tickets.tune: error:") and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not tune_dir.exists()


def test_a_tuning_directory_of_another_search_is_refused(tmp_path, run_main):
    tune_dir = tmp_path / "tune"
    tune_dir.mkdir()
    (tune_dir / "search.json").write_text(json.dumps({"tuner": "bayesian"}))
    result = run_main("tf_tickets.tune", *QUICK, "--space=lr:0.01:0.1", f"--tune_dir={tune_dir}")
    assert result.returncode == 2 and "holds a search with other settings" in result.stderr
    assert os.listdir(tune_dir) == ["search.json"]


@pytest.mark.slow
def test_killed_search_resumes_the_interrupted_trial_and_retrains_no_finished_one(tmp_path):
    tune_dir = tmp_path / "tune"
    # Two epochs a trial, so that the kill lands in trial 1 after its first epoch's checkpoint.
    args = [sys.executable, "-m", "tf_tickets.tune", *QUICK, "--training_steps=188it", "--tuner=random",
            "--max_trials=2", SPACE, f"--tune_dir={tune_dir}"]
    process = subprocess.Popen(args, cwd=REPO, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = tune_dir / "trials" / "1" / "checkpoints" / "ckpt-1.index"
    deadline = time.time() + 180
    while time.time() < deadline and not checkpoint.exists() and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert (tune_dir / "trials" / "0" / "results.json").exists()
    assert not (tune_dir / "trials" / "1" / "results.json").exists(), "trial 1 finished before it could be killed"
    first = {p: p.stat().st_mtime_ns for p in (tune_dir / "trials" / "0").rglob("*") if p.is_file()}

    resumed = subprocess.run(args, cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert sorted(os.listdir(tune_dir / "trials")) == ["0", "1"]  # the killed trial was handed out again, not lost
    assert {p: p.stat().st_mtime_ns for p in (tune_dir / "trials" / "0").rglob("*") if p.is_file()} == first
    assert [line.split()[:3] for line in resumed.stdout.splitlines() if line.startswith("[")] == [["[2/2]", "trial", "1"]]
    assert "resuming" in (tune_dir / "trials" / "1" / "log.txt").read_text()  # from its epoch-1 checkpoint
    assert read_json(tune_dir / "trials" / "1" / "results.json")["steps"] == 188
    assert read_json(tune_dir / "trials" / "1" / "config.json")["lr"] == trial_values(tune_dir, "1")["learning_rate"]
    assert (tune_dir / "trials.md").read_text().count("COMPLETED") == 2 and (tune_dir / "best.cfg").exists()


@pytest.mark.slow
def test_chief_and_worker_on_loopback_complete_a_search(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    tune_dir = tmp_path / "tune"
    args = [sys.executable, "-m", "tf_tickets.tune", *QUICK, "--tuner=random", "--max_trials=2", SPACE,
            f"--tune_dir={tune_dir}"]

    def start(tuner_id):
        env = cli_env(KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=port)
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    chief, worker = start("chief"), start("tuner0")
    try:
        worker_out, worker_err = worker.communicate(timeout=180)
        chief_out, chief_err = chief.communicate(timeout=60)
    finally:
        for process in (chief, worker):
            if process.poll() is None:
                process.kill()
    assert worker.returncode == 0, worker_err[-3000:]
    assert chief.returncode == 0, chief_err[-3000:]
    assert [line.split()[:3] for line in worker_out.splitlines() if line.startswith("[")] == \
        [["[1/2]", "trial", "0"], ["[2/2]", "trial", "1"]]  # the worker ran the trials ...
    assert chief_out.count("COMPLETED") == 2 and "best: trial" in chief_out  # ... the chief served them, and reports
    for trial_id in ("0", "1"):
        assert (tune_dir / "trials" / trial_id / "results.json").exists()
    assert (tune_dir / "best.cfg").read_text().count("--model=mnist_lenet_300_100") == 1
