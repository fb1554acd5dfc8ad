"""Shared test fixtures: where the real data copies are, and how to run the CLI (in this process, or in
a subprocess where a test needs a fresh TensorFlow: killing, device set-up, several workers, logs)."""
import dataclasses
import importlib
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    path = SHARED_DATA / "fashion-mnist"
    if not path.is_dir():
        pytest.skip(f"real Fashion-MNIST copy not found at {path}")
    return str(path)


@pytest.fixture(scope="session")
def mnist_dir():
    path = SHARED_DATA / "mnist"
    if not path.is_dir():
        pytest.skip(f"real MNIST copy not found at {path}")
    return str(path)


def cli_env(**extra):
    env = dict(os.environ, TF_TICKETS_OFFLINE="1", PYTHONPATH=str(REPO))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it: the package sets its own default
    env.update(extra)
    return env


def run_cli(module, *args, timeout=600, **env):
    """Runs `python -m module args...`; returns the CompletedProcess (never raises on exit code)."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=cli_env(**env),
                          capture_output=True, text=True, timeout=timeout)


@dataclasses.dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_main(capsys, monkeypatch):
    """Runs an entry point's `main` in this process as `python -m module args...` would (from the
    repository root, offline); returns its exit code and output. No TensorFlow start-up per call."""
    from tf_tickets import cli

    def run(module, *args):
        monkeypatch.chdir(REPO)
        monkeypatch.setenv("TF_TICKETS_OFFLINE", "1")
        capsys.readouterr()
        entry = importlib.import_module(module)
        code = cli.run_in_process(entry.main, module, [str(a) for a in args],
                                  takes_arguments=getattr(entry, "TAKES_ARGUMENTS", False))
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run
