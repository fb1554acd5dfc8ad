"""Shared test fixtures: where the real data copies are, and how to run the CLI in a subprocess."""
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
    env = dict(os.environ, TF_TICKETS_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def run_cli(module, *args, timeout=600, **env):
    """Runs `python -m module args...`; returns the CompletedProcess (never raises on exit code)."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=cli_env(**env),
                          capture_output=True, text=True, timeout=timeout)
