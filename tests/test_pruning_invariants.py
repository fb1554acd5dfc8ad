"""Invariants of masks under training: masked weights stay exactly 0, masks never change."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow_model_optimization as tfmot

import tf_tickets
from tf_tickets import models
from tf_tickets.backend import keras, tf
from tf_tickets.pruning import apply_masks, current_masks, targets
from tf_tickets.training.optimizers import make_optimizer
from tests.conftest import REPO, cli_env


def data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, n)


def assert_masks_hold(model, masks_before):
    for target in targets(model):
        mask = target.mask.numpy()
        np.testing.assert_array_equal(mask, masks_before[target.key])
        assert np.all(target.weight.numpy()[mask == 0] == 0), target.key
        assert np.any(target.weight.numpy()[mask == 1] != 0)


@pytest.fixture
def float32_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("optimizer, policy", [
    ("sgd", "float32"), ("adam", "float32"), ("sgd", "mixed_bfloat16"),
])
def test_fit_keeps_masked_weights_at_zero(optimizer, policy, float32_policy):
    keras.mixed_precision.set_global_policy(policy)
    model = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0)
    pruned = tf_tickets.prune(model, "random", 0.9, budget="smart_ratio", seed=0)
    before = current_masks(pruned)
    lr = 0.1 if optimizer == "sgd" else 1e-3
    pruned.compile(make_optimizer(optimizer, lr, momentum=0.9, weight_decay=5e-4),
                   keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data()
    pruned.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    assert pruned.output.dtype == tf.float32
    assert_masks_hold(pruned, before)


def test_gradient_tape_loop_with_apply_masks():
    model = models.build("mnist_conv_small", (28, 28, 1), 10, seed=0)
    pruned = tf_tickets.prune(model, "magnitude", 0.8, budget="layerwise")
    before = current_masks(pruned)
    optimizer = make_optimizer("sgd", 0.1, momentum=0.9, weight_decay=1e-4)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x, y = data(64)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, pruned(x, training=False))
        optimizer.apply_gradients(zip(tape.gradient(loss, pruned.trainable_variables), pruned.trainable_variables))
        apply_masks(pruned)
    assert_masks_hold(pruned, before)


MIRRORED = textwrap.dedent("""
    import sys
    import numpy as np, tensorflow_model_optimization as tfmot
    from tf_tickets.training.distribution import split_cpu, make_strategy
    split_cpu(2)
    import tf_tickets
    from tf_tickets import models
    from tf_tickets.backend import keras, tf
    from tf_tickets.pruning import current_masks, targets
    keras.mixed_precision.set_global_policy(sys.argv[1])
    strategy = make_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        pruned = tf_tickets.prune(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0), "random", 0.9,
                                  budget="smart_ratio")
        pruned.compile(keras.optimizers.SGD(0.1, momentum=0.9), keras.losses.SparseCategoricalCrossentropy(True))
    before = current_masks(pruned)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(128, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 128)
    pruned.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    for t in targets(pruned):
        replicas = [v.numpy() for v in t.mask.values]
        assert all(np.array_equal(r, before[t.key]) for r in replicas), t.key
        weights = [v.numpy() for v in t.weight.values]
        assert all(np.all(w[before[t.key] == 0] == 0) for w in weights), t.key
        assert np.array_equal(weights[0], weights[1]), t.key
    pruned.predict(x[:2], verbose=0)  # the wrappers mask the weights in a forward pass too
    for t in targets(pruned):  # masked on each replica in float32, not in the compute dtype
        kept = t.weight.values[0].numpy()[before[t.key] == 1]
        assert np.any(kept != tf.cast(tf.cast(kept, tf.bfloat16), tf.float32).numpy()), t.key
    print("OK")
""")


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_mirrored_strategy_keeps_masks_identical_on_both_replicas(policy):
    result = subprocess.run([sys.executable, "-c", MIRRORED, policy], cwd=REPO, env=cli_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr[-3000:]


def test_checkpoints_round_trip_masks(tmp_path):
    model = models.build("mnist_conv_small", (28, 28, 1), 10, seed=0)
    pruned = tf_tickets.prune(model, "random", 0.9, budget="layerwise", seed=1)
    path = tf.train.Checkpoint(model=pruned).write(str(tmp_path / "ckpt"))
    fresh = tf_tickets.prune(model, "random", 0.5, budget="layerwise", seed=2)
    tf.train.Checkpoint(model=fresh).read(path).assert_existing_objects_matched()
    for a, b in zip(targets(pruned), targets(fresh)):
        np.testing.assert_array_equal(a.mask.numpy(), b.mask.numpy())



@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_masks_under_mixed_precision_leave_the_kept_float32_weights_exact(policy, float32_policy):
    """TF-MOT sets weight := weight * mask inside the layer's call, where Keras reads a mixed-precision
    layer's float32 variables in half precision: written back, every weight would be rounded to half
    precision at every step, and SGD's updates below half precision's resolution lost. The kept weights must
    stay the float32 values they were (what mixed precision's float32 master weights are for)."""
    keras.mixed_precision.set_global_policy(policy)
    inputs = keras.Input((8,))
    model = keras.Model(inputs, keras.layers.Dense(4, name="d")(keras.layers.Dense(8, name="c")(inputs)))
    pruned = tf_tickets.prune(model, "random", 0.5, budget="layerwise", seed=0)
    exact = 1 + 2.0 ** -20  # no half-precision number: rounds to 1.0 in float16 and bfloat16
    for target in targets(pruned):
        target.weight.assign(target.mask * exact)
    before = current_masks(pruned)
    pruned.compile(keras.optimizers.SGD(0.0), "mse")  # a step that moves no weight: only the masking acts
    pruned.fit(np.ones((2, 8), np.float32), np.zeros((2, 4), np.float32), verbose=0,
               callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    pruned.predict(np.ones((2, 8), np.float32), verbose=0)
    for target in targets(pruned):
        mask = target.mask.numpy()
        np.testing.assert_array_equal(mask, before[target.key])
        np.testing.assert_array_equal(target.weight.numpy(), mask * np.float32(exact), err_msg=target.key)


def test_a_float16_run_as_on_a_gpu_trains_a_ticket_and_checkpoints_its_loss_scale(tmp_path, float32_policy):
    """`--mixed_precision` is float16 on a GPU, which CI has not: the same training path (loss-scaled
    coupled-L2 SGD, TF-MOT's fixed masks, the loop's checkpoints) run here under float16 on the CPU, on the
    shipped Fashion-MNIST. The masks hold, the loss is finite, the logits float32, and a checkpoint restores
    the weights, the step and the loss scale into a fresh model."""
    from tf_tickets import data
    from tf_tickets.callbacks import ResumableCheckpoint
    from tf_tickets.data import pipeline
    from tf_tickets.training import loop
    from tf_tickets.training.config import TrainConfig
    from tf_tickets.training.run_dir import RunDir

    keras.mixed_precision.set_global_policy("mixed_float16")
    fmnist = data.load("embedded")
    build = lambda: tf_tickets.prune(models.build("cifar_resnet_8", fmnist.input_shape, 10, seed=0),  # noqa: E731
                                     "random", 0.9, budget="smart_ratio", seed=0)
    pruned = build()
    before = current_masks(pruned)
    config = TrainConfig(training_steps="12it", batch_size=64, lr=0.05, lr_schedule="constant", milestones=(),
                         weight_decay=1e-4, validate_every_epoch=False)
    run_dir = RunDir(str(tmp_path / "run"))
    run_dir.claim({"test": "float16"})
    trained, results = loop.train(pruned, fmnist, config, run_dir, verbose=0,
                                  callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    assert isinstance(trained.optimizer, keras.mixed_precision.LossScaleOptimizer)
    assert trained.output.dtype == tf.float32 and np.isfinite(results["test_loss"]) and results["steps"] == 12
    assert all(w.dtype == tf.float32 for w in trained.trainable_weights)  # float32 variables, float16 arithmetic
    assert_masks_hold(trained, before)

    fresh = loop.compile_model(build(), config, pipeline.steps_per_epoch(len(fmnist.x_train), config.batch_size))
    assert ResumableCheckpoint(run_dir.checkpoints, fresh, fresh.optimizer).restore() == 1
    assert int(fresh.optimizer.iterations.numpy()) == 12
    assert float(fresh.optimizer.loss_scale.numpy()) == float(trained.optimizer.loss_scale.numpy())
    for a, b in zip(trained.weights, fresh.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)


def test_xla_compiled_training_keeps_masks_and_matches_the_plain_step(tmp_path):
    """`--jit_compile` (XLA, for GPUs): the same ticket trained through the loop with and without XLA keeps
    its masks, its masked weights at zero, and ends at the same loss within float rounding (XLA may order
    the sums differently)."""
    from tf_tickets import data
    from tf_tickets.training import loop
    from tf_tickets.training.config import TrainConfig
    from tf_tickets.training.run_dir import RunDir

    fmnist = data.load("embedded")
    outcomes = {}
    for jit in (False, True):
        pruned = tf_tickets.prune(models.build("mnist_lenet_300_100", fmnist.input_shape, 10, seed=0), "random",
                                  0.9, budget="smart_ratio", seed=0)
        before = current_masks(pruned)
        config = TrainConfig(training_steps="40it", batch_size=64, lr=0.05, lr_schedule="constant", milestones=(),
                             weight_decay=1e-4, validate_every_epoch=False, jit_compile=jit)
        run_dir = RunDir(str(tmp_path / f"jit{jit}"))
        run_dir.claim({"jit": jit})
        trained, results = loop.train(pruned, fmnist, config, run_dir, verbose=0,
                                      callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
        assert results["steps"] == 40 and results["steps_per_execution"] > 1  # several XLA steps a call too
        assert_masks_hold(trained, before)
        outcomes[jit] = results["test_loss"]
    np.testing.assert_allclose(outcomes[True], outcomes[False], rtol=1e-4)
