"""The training command end to end: real data, resume after kill -9, bad input, distribution."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, cli_env, run_cli

QUICK = ["--model=mnist_lenet_300_100", "--batch_size=64", "--lr=0.05", "--lr_schedule=constant",
         "--milestones=", "--weight_decay=0"]


def read_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.slow
def test_trains_real_fashion_mnist_well_above_chance(tmp_path, fashion_mnist_dir):
    run_dir = tmp_path / "run"
    result = run_cli("tf_tickets.train", "--model=conv_2", "--dataset=fashion_mnist",
                     f"--data_dir={fashion_mnist_dir}", "--train_fraction=0.05", "--training_steps=3ep",
                     "--batch_size=64", "--optimizer=adam", "--lr=1e-3", "--lr_schedule=constant", "--milestones=",
                     "--weight_decay=0", "--validate_every_epoch=false", f"--run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    results = read_json(run_dir / "results.json")
    assert results["test_accuracy"] > 0.7  # chance is 0.1
    assert results["train_examples"] == 3000
    assert results["steps"] == 3 * 47
    metrics = read_json(run_dir / "metrics.json")
    assert [row["epoch"] for row in metrics] == [1, 2, 3]
    assert metrics[-1]["loss"] < metrics[0]["loss"]
    assert (run_dir / "metrics.csv").read_text().splitlines()[0].startswith("epoch,step,seconds")
    assert read_json(run_dir / "config.json")["model"] == "conv_2"
    assert "--model=conv_2" in (run_dir / "flags.txt").read_text()
    assert os.listdir(run_dir / "tensorboard")
    assert "test accuracy" in result.stdout

    # A finished run is not redone: the same command trains nothing and leaves every file as it was.
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    again = run_cli("tf_tickets.train", "--model=conv_2", "--dataset=fashion_mnist",
                    f"--data_dir={fashion_mnist_dir}", "--train_fraction=0.05", "--training_steps=3ep",
                    "--batch_size=64", "--optimizer=adam", "--lr=1e-3", "--lr_schedule=constant", "--milestones=",
                    "--weight_decay=0", "--validate_every_epoch=false", f"--run_dir={run_dir}")
    assert again.returncode == 0 and "nothing to do" in again.stderr
    assert read_json(run_dir / "results.json") == results
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()} == before
    assert f"test accuracy {results['test_accuracy']:.4f}" in again.stdout


def last_checkpoint(directory) -> int:
    """The highest N of the ckpt-N.index files in `directory` (0 when none)."""
    numbers = [int(name[len("ckpt-"):-len(".index")]) for name in os.listdir(directory)
               if name.startswith("ckpt-") and name.endswith(".index")] if os.path.isdir(directory) else []
    return max(numbers, default=0)


@pytest.mark.slow
def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    args = [sys.executable, "-m", "tf_tickets.train", *QUICK, "--dataset=embedded", "--training_steps=12ep",
            "--validate_every_epoch=false", f"--run_dir={run_dir}"]
    process = subprocess.Popen(args, cwd=REPO, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    # Any checkpoint from the second on: only the last few are kept, so a given one can come and go between
    # two looks while this process waits for a core.
    while time.time() < deadline and last_checkpoint(run_dir / "checkpoints") < 2:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (run_dir / "results.json").exists(), "the run finished before it could be killed"
    finished_before = len(read_json(run_dir / "metrics.json"))
    assert finished_before >= 2

    resumed = subprocess.run(args, cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming" in resumed.stderr
    metrics = read_json(run_dir / "metrics.json")
    assert [row["epoch"] for row in metrics] == list(range(1, 13))
    results = read_json(run_dir / "results.json")
    assert results["steps"] == 12 * 94  # 6000 examples, batch 64: every step done exactly once
    assert results["test_accuracy"] > 0.6


@pytest.mark.parametrize("args, message", [
    (["--dataset=imagenet22k"], "unknown dataset 'imagenet22k'"),
    (["--model=cifar_resnet_33"], "unknown model 'cifar_resnet_33'"),
    (["--training_steps=10epochs"], "malformed duration"),
    (["--batch_size=0"], "batch size must be > 0"),
    (["--batch_size=-8"], "batch size must be > 0"),
    (["--lr=0"], "learning rate must be > 0"),
    (["--lr=-0.1"], "learning rate must be > 0"),
    (["--flagfile=configs/no_such.cfg"], "no_such.cfg"),
    (["--batch_size=many"], "batch_size"),
    (["--data_dir=/no/such/dir", "--dataset=mnist"], "/no/such/dir"),
    (["--dataset=cifar10"], "--data_dir"),
])
def test_bad_input_is_one_line_and_exit_2_and_nothing_written(tmp_path, args, message, run_main):
    run_dir = tmp_path / "run"
    result = run_main("tf_tickets.train", *args, f"--run_dir={run_dir}")
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("tf_tickets.train: error:")]
    assert len(error_lines) == 1 and message in error_lines[0]
    assert not run_dir.exists()


def test_run_dir_of_another_run_is_refused(tmp_path, run_main):
    run_dir = tmp_path / "run"
    first = run_main("tf_tickets.train", *QUICK, "--training_steps=5it", f"--run_dir={run_dir}",
                     "--validate_every_epoch=false")
    assert first.returncode == 0, first.stderr[-2000:]
    second = run_main("tf_tickets.train", *QUICK, "--training_steps=5it", "--lr=0.2", f"--run_dir={run_dir}",
                      "--validate_every_epoch=false")
    assert second.returncode == 2 and "other settings (lr)" in second.stderr
    assert read_json(run_dir / "results.json")["steps"] == 5


@pytest.mark.slow
def test_mirrored_strategy_over_two_logical_cpus(tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli("tf_tickets.train", *QUICK, "--training_steps=2ep", "--distribution=mirrored",
                     "--logical_cpus=2", "--validate_every_epoch=false", f"--run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 replicas" in result.stderr
    results = read_json(run_dir / "results.json")
    assert results["steps"] == 2 * 94 and results["test_accuracy"] > 0.6


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_training_with_two_local_workers(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    run_dir = tmp_path / "run"
    processes = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "tf_tickets.train", *QUICK, "--training_steps=2ep",
             "--distribution=multi_worker", "--validate_every_epoch=false", f"--run_dir={run_dir}"],
            cwd=REPO, env=cli_env(TF_CONFIG=tf_config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-3000:]
    assert "2 replicas" in outputs[0][1]
    results = read_json(run_dir / "results.json")
    assert results["steps"] == 2 * 94 and results["test_accuracy"] > 0.6
    assert not [f for f in os.listdir(run_dir / "checkpoints") if f.startswith(".scratch")]
