"""Importing tf_tickets changes nothing in TF-MOT: a model the user prunes with TF-MOT's own
`prune_low_magnitude` trains to the same bits with and without tf_tickets in the process, even after
tf_tickets has wrapped and trained a model of its own there. Our masking (on the float32 weights under
mixed precision; no traced mask update for a FixedMask) lives in our own wrapper class."""
import glob
import subprocess
import sys

import numpy as np
import pytest

import tf_tickets
from tests.conftest import REPO, cli_env
from tf_tickets import models
from tf_tickets.backend import keras, tf, tfmot
from tf_tickets.pruning import current_masks, wrapper

USER_PROGRAM = r"""
import hashlib, os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
import tensorflow as tf
import tf_keras as keras
import tensorflow_model_optimization as tfmot

tf.config.experimental.enable_op_determinism()
x = np.random.default_rng(0).random((64, 20)).astype(np.float32)
y = np.arange(64) % 4
mode = sys.argv[1]
if mode != "alone":  # tf_tickets and what its pruning, loading and runs bring in
    import tf_tickets
    import tf_tickets.pruning.wrapping, tf_tickets.runner, tf_tickets.saving
if mode == "after_ours":  # tf_tickets wraps and trains a mixed-precision model of its own first
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(1)
    ours = keras.Sequential([keras.Input((20,)), keras.layers.Dense(16), keras.layers.Dense(4, dtype="float32")])
    ours = tf_tickets.prune(ours, "magnitude", 0.5)
    ours.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ours.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])

# The user's own program: TF-MOT alone, gradual pruning under mixed precision.
keras.mixed_precision.set_global_policy("mixed_bfloat16")
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(4, dtype="float32")])
schedule = tfmot.sparsity.keras.PolynomialDecay(0.0, 0.75, begin_step=0, end_step=8, frequency=2)
# Per layer, each wrapper in its layer's dtype (the float32 classifier stays float32), as TF-MOT's guide does.
pruned = keras.models.clone_model(model, clone_function=lambda layer: tfmot.sparsity.keras.prune_low_magnitude(
    layer, pruning_schedule=schedule, dtype=layer.dtype_policy))
assert all(type(layer).__module__.startswith("tensorflow_model_optimization") for layer in pruned.layers)
pruned.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
pruned.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
           callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
print(hashlib.sha256(b"".join(w.numpy().tobytes() for w in pruned.weights)).hexdigest())
"""


def test_a_model_pruned_by_tfmot_alone_trains_the_same_bits_with_tf_tickets_imported():
    """Three fresh processes, side by side: TF-MOT alone; with tf_tickets imported; and with tf_tickets having
    wrapped and trained a mixed-precision ticket first."""
    modes = ("alone", "imported", "after_ours")
    running = {mode: subprocess.Popen([sys.executable, "-c", USER_PROGRAM, mode], cwd=REPO, env=cli_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for mode in modes}
    bits = {}
    for mode, process in running.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, (mode, err[-3000:])
        bits[mode] = out.strip().splitlines()[-1]
    assert bits["imported"] == bits["alone"] and bits["after_ours"] == bits["alone"], bits


@pytest.mark.parametrize("fmt, options", [("keras", {}), ("h5", {}), ("tf", {"save_format": "tf"})])
def test_our_wrapper_is_tfmots_to_tfmots_tools_and_loads_back(fmt, options, tmp_path):
    model = models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=0)
    pruned = tf_tickets.prune(model, "magnitude", 0.75)
    wrapped = [layer for layer in pruned.layers if hasattr(layer, "pruning_vars")]
    assert [layer.name for layer in wrapped] == ["prune_low_magnitude_fc1", "prune_low_magnitude_fc2",
                                                 "prune_low_magnitude_classifier"]  # TF-MOT's names
    assert all(type(layer) is wrapper.PruneLowMagnitude and type(layer.pruning_obj) is wrapper.Pruning
               for layer in wrapped)
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype(np.float32)
    y = np.arange(32) % 10
    pruned.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    # TF-MOT's callbacks find our wrappers: without UpdatePruningStep's start, fit would stop at its assert.
    pruned.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[
        tfmot.sparsity.keras.UpdatePruningStep(), tfmot.sparsity.keras.PruningSummaries(str(tmp_path / "logs"))])
    assert all(int(layer.pruning_step.numpy()) == 4 for layer in wrapped)
    tags = {value.tag for path in glob.glob(str(tmp_path / "logs" / "**" / "events*"), recursive=True)
            for event in tf.compat.v1.train.summary_iterator(path) for value in event.summary.value}
    assert any(tag.endswith("mask:0/sparsity") for tag in tags), tags
    plain = tfmot.sparsity.keras.strip_pruning(pruned)
    assert not any(hasattr(layer, "pruning_vars") for layer in plain.layers)
    path = str(tmp_path / ("model." + fmt if fmt != "tf" else "saved"))
    pruned.save(path, **options)
    loaded = tf_tickets.load_model(path, compile=False)
    assert all(type(layer) is wrapper.PruneLowMagnitude for layer in loaded.layers if hasattr(layer, "pruning_vars"))
    for key, mask in current_masks(pruned).items():
        np.testing.assert_array_equal(current_masks(loaded)[key], mask)
    np.testing.assert_allclose(loaded(x).numpy(), pruned(x).numpy(), rtol=1e-6)
