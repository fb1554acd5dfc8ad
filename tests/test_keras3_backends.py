"""tf_tickets on Keras 3's TensorFlow, JAX and PyTorch backends, each in a process of its own
(tests/keras3_checks.py; TensorFlow cannot be imported in the JAX and PyTorch ones): masks through `fit`,
custom loops, mixed precision and data parallelism, save/load, strip and bad input there; then every
criterion's scores and masks for one model, weights and batch, compared across the three backends, and
BatchNorm's second derivative against finite differences."""
import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, cli_env

BACKENDS = ("tensorflow", "jax", "torch")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Each backend's checks, run side by side: {backend: (scores and masks, second-derivative errors)}."""
    out = tmp_path_factory.mktemp("keras3")
    runs = {}
    for backend in BACKENDS:  # output to files: a pipe that fills up would stall a process until it is read
        with open(out / f"{backend}.log", "w") as log:
            runs[backend] = subprocess.Popen(
                [sys.executable, str(REPO / "tests" / "keras3_checks.py"), str(out)], cwd=REPO,
                env=cli_env(KERAS_BACKEND=backend, XLA_FLAGS="--xla_force_host_platform_device_count=2",
                            TF_CPP_MIN_LOG_LEVEL="2"), stdout=log, stderr=subprocess.STDOUT)
    for run in runs.values():
        run.wait(timeout=600)
    failed = {backend: (out / f"{backend}.log").read_text()[-3000:] for backend, run in runs.items()
              if run.returncode != 0}
    assert not failed, "\n\n".join(f"--- {backend} ---\n{log}" for backend, log in failed.items())
    return {backend: (dict(np.load(out / f"{backend}.npz")), json.loads((out / f"{backend}.json").read_text()))
            for backend in BACKENDS}


def test_every_backend_keeps_masks_through_training_saving_and_stripping(results):
    """What keras3_checks.py asserts in each backend's process (see its check_* functions)."""
    assert set(results) == set(BACKENDS)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_scores_and_masks_are_the_same_on_every_backend(results, backend):
    """Every criterion's scores and masks, and magnitude masks under every budget, block size and policy
    (keras3_checks.BUDGETS), on one model, weights and batch: the TensorFlow backend's, on JAX and PyTorch."""
    expected, got = results["tensorflow"][0], results[backend][0]
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        if key.startswith("scores/"):
            np.testing.assert_allclose(got[key], value, rtol=0, atol=1e-5 * np.abs(value).max(), err_msg=key)
        else:
            np.testing.assert_array_equal(got[key], value, err_msg=key)


def test_batch_norm_second_derivative_is_right_where_gradients_are_taken(results):
    """GraSP's Hessian-gradient product through BatchNorm in training mode against central differences:
    Keras 3's own layer is right on JAX and PyTorch and wrong on TensorFlow (`tf.nn.moments` stops the
    gradient through the mean), which is why scoring copies use SecondOrderBatchNormalization, right on all."""
    errors = {backend: found[1]["batch_norm_hvp_error"] for backend, found in results.items()}
    assert all(e["second_order"] < 1e-3 for e in errors.values()), errors
    assert errors["jax"]["keras"] < 1e-3 and errors["torch"]["keras"] < 1e-3, errors
    assert errors["tensorflow"]["keras"] > 1e-2, errors
