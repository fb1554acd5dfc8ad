"""tf_tickets on one Keras 3 backend, in a process of its own (KERAS_BACKEND set before Keras is imported):
run by tests/test_keras3_backends.py as `python tests/keras3_checks.py OUT_DIR`. On JAX and PyTorch,
importing TensorFlow fails here, so everything below runs without it.

It asserts what a user of that backend depends on (masks carried through `fit`, custom loops, mixed
precision, data parallelism, save/load, strip, bad input) and writes the scores and masks of every criterion
for one model, weights and batch to OUT_DIR/<backend>.npz, which the test compares across backends, with
the BatchNorm second-derivative errors in OUT_DIR/<backend>.json.
"""
import json
import os
import subprocess
import sys
import tempfile

BACKEND = os.environ["KERAS_BACKEND"]


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script too
from tests.no_tensorflow import block_tensorflow  # noqa: E402

if BACKEND != "tensorflow":
    block_tensorflow()
else:  # two logical CPUs for MirroredStrategy, set before TensorFlow starts
    import tensorflow as tf

    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tf_tickets  # noqa: E402
from tf_tickets import TicketsError  # noqa: E402
from tf_tickets.criteria import autodiff  # noqa: E402
from tf_tickets.models.keras3 import to_numpy  # noqa: E402
from tf_tickets.pruning import Pruner, current_masks, targets  # noqa: E402

CRITERIA = ["random", "magnitude", "snip", "grasp", "obd", "magnitude_gradient"]
RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 8, 8, 3)).astype(np.float32)
Y = np.arange(60) % 3


def build(dtype=None):
    """A small residual conv net with BatchNorm; weights drawn by NumPy, the same on every backend."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="conv1", dtype=dtype)(inputs)
    x = layers.BatchNormalization(name="bn1", dtype=dtype)(x)
    x = layers.ReLU(dtype=dtype)(x)
    x = layers.Conv2D(4, 3, padding="same", name="conv2", dtype=dtype)(x)
    x = layers.BatchNormalization(name="bn2", dtype=dtype)(x)
    shortcut = layers.Conv2D(4, 1, name="shortcut", dtype=dtype)(inputs)
    x = layers.ReLU(dtype=dtype)(layers.Add(dtype=dtype)([x, shortcut]))
    x = layers.Dense(16, activation="relu", name="fc1", dtype=dtype)(layers.Flatten(dtype=dtype)(x))
    model = keras.Model(inputs, layers.Dense(3, name="classifier", dtype="float32")(x), name="net")
    rng = np.random.default_rng(1)
    for weight in model.weights:
        if "moving_variance" in weight.path or "gamma" in weight.path:
            value = rng.uniform(0.5, 1.5, weight.shape)
        else:
            value = rng.normal(0.0, 0.3, weight.shape)
        weight.assign(value.astype(np.dtype(weight.dtype)))
    return model


def kernels_exactly_zero(model) -> bool:
    return all(np.all(to_numpy(t.weight)[to_numpy(t.mask) == 0] == 0)
               for t in targets(model))


def scores_and_masks():
    """Every criterion's scores (one ranking) and masks, by key."""
    model = build()
    pruned = tf_tickets.prune(model, "random", 0.5, seed=3)  # scored as it is: masked, as runs score
    found = {}
    for name in CRITERIA + ["synflow"]:
        ranking = Pruner(name, 0.8, criterion_options={"rounds": 1} if name == "synflow" else None).ranking(
            pruned, batch=(X, Y))
        masks = (Pruner(name, 0.8, criterion_options={"rounds": 10}).masks(pruned) if name == "synflow"
                 else ranking.masks(0.2))
        found.update({f"scores/{name}/{key}": value for key, value in ranking.by_key().items()})
        found.update({f"masks/{name}/{key}": value for key, value in masks.items()})
    found.update(budget_masks())
    return found


BUDGETS = {"smart_ratio": {"budget": "smart_ratio"}, "erk": {"budget": "erk"},
           "layerwise_blocks": {"budget": "layerwise", "block": 4},
           "min_density_skip_first": {"budget_options": {"min_density": 0.05}, "policy": "skip_first"},
           "skip_shortcuts": {"policy": "skip_shortcuts"}}


def budget_masks():
    """Magnitude masks at 90% under each budget, block size and policy: the same on every backend."""
    found = {}
    for name, options in BUDGETS.items():
        pruned = tf_tickets.prune(build(), "magnitude", 0.9, seed=0, **options)
        found.update({f"budgets/{name}/{key}": value for key, value in current_masks(pruned).items()})
    return found


def check_fit_keeps_masked_weights_zero():
    for name, optimizer, jit in [("sgd_momentum", keras.optimizers.SGD(0.05, momentum=0.9), True),
                                 ("adamw", keras.optimizers.AdamW(0.01, weight_decay=0.1), True)]:
        pruned = tf_tickets.prune(build(), "snip", 0.8, data=(X, Y))
        before = {t.key: to_numpy(t.weight).copy() for t in targets(pruned)}
        pruned.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                       jit_compile=jit and BACKEND != "torch")  # torch's jit_compile is torch.compile
        pruned.fit(X, Y, batch_size=20, epochs=2, verbose=0)
        assert kernels_exactly_zero(pruned), name
        moved = [t.key for t in targets(pruned) if not np.array_equal(to_numpy(t.weight),
                                                                       before[t.key])]
        assert moved, f"{name}: no kept weight was trained"


def check_a_changed_mask_is_seen_by_the_compiled_step():
    """Masks assigned after the train step was compiled and run (rearranged, as the sanity check does):
    plain SGD must leave the newly masked weights at zero and train the newly kept ones."""
    pruned = tf_tickets.prune(build(), "magnitude", 0.7)
    pruned.compile(keras.optimizers.SGD(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   jit_compile=BACKEND != "torch")
    pruned.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    old = current_masks(pruned)
    new = {k: np.random.default_rng(5).permutation(m.ravel()).reshape(m.shape) for k, m in old.items()}
    for target in targets(pruned):  # the newly kept positions get values to train from
        target.weight.assign(np.full(tuple(target.weight.shape), 0.1, np.float32))
    tf_tickets.pruning.assign_masks(pruned, new)
    start = {t.key: to_numpy(t.weight).copy() for t in targets(pruned)}
    pruned.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    assert kernels_exactly_zero(pruned)
    trained = []
    for target in targets(pruned):
        now = to_numpy(target.weight)
        newly_kept = (new[target.key] == 1) & (old[target.key] == 0)
        trained.append(np.mean(now[newly_kept] != start[target.key][newly_kept]) if newly_kept.any() else 1.0)
    assert min(trained) > 0.5, trained  # each layer's newly kept weights train (a stale mask gives them no gradient)


def check_custom_loop_with_optimizer_apply():
    """The loop a user writes on this backend; the gradient at masked positions is zero, so no re-masking."""
    pruned = tf_tickets.prune(build(), "magnitude", 0.8)
    optimizer = keras.optimizers.SGD(0.05, momentum=0.9)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    variables = pruned.trainable_variables
    optimizer.build(variables)
    for step in range(3):
        x, y = X[step * 20:(step + 1) * 20], Y[step * 20:(step + 1) * 20]
        if BACKEND == "jax":
            import jax

            def loss(trainable, non_trainable):
                out, non_trainable = pruned.stateless_call(trainable, non_trainable, x, training=True)
                return loss_fn(y, out), non_trainable

            trainable = [v.value for v in variables]
            non_trainable = [v.value for v in pruned.non_trainable_variables]
            grads, non_trainable = jax.grad(loss, has_aux=True)(trainable, non_trainable)
            trainable, opt_values = optimizer.stateless_apply([v.value for v in optimizer.variables], grads,
                                                              trainable)
            for v, value in zip(variables, trainable):
                v.assign(value)
            for v, value in zip(optimizer.variables, opt_values):
                v.assign(value)
        elif BACKEND == "torch":
            import torch

            loss = loss_fn(torch.as_tensor(y), pruned(x, training=True))
            grads = torch.autograd.grad(loss, [v.value for v in variables])
            optimizer.apply(grads, variables)
        else:
            with tf.GradientTape() as tape:
                loss = loss_fn(y, pruned(x, training=True))
            optimizer.apply(tape.gradient(loss, variables), variables)
    assert kernels_exactly_zero(pruned)


def check_mixed_precision_keeps_float32_master_weights(policy, below):
    """Under `policy` (mixed_float16 with Keras' loss scaling, mixed_bfloat16) kernels and masks stay float32,
    masked weights 0, and updates smaller than the compute dtype resolves at a weight (`below` of it) reach
    the float32 weights: nothing rounds them away (a weight written back in 16 bits would lose every one)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        pruned = tf_tickets.prune(build(), "magnitude", 0.8)
        assert all(np.dtype(t.weight.dtype) == np.float32 for t in targets(pruned))
        before = {t.key: to_numpy(t.weight).copy() for t in targets(pruned)}
        pruned.compile(keras.optimizers.SGD(1e-5), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        pruned.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    finally:
        keras.config.set_dtype_policy(previous)
    assert kernels_exactly_zero(pruned), policy
    for target in targets(pruned):
        kept = to_numpy(target.mask) == 1
        now, then = to_numpy(target.weight)[kept], before[target.key][kept]
        change = np.abs(now - then)
        assert np.mean((change > 0) & (change < np.abs(then) * below)) > 0.25, (policy, target.key)  # dead ReLUs


def check_data_parallel():
    """JAX: keras.distribution.DataParallel over two host devices. TensorFlow: MirroredStrategy over two
    logical CPUs. PyTorch: none (Keras has no data parallelism there)."""
    if BACKEND == "jax":
        import jax

        assert len(jax.devices()) == 2, jax.devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
        try:
            pruned = tf_tickets.prune(build(), "snip", 0.8, data=(X, Y))
            pruned.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                           keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            pruned.fit(X, Y, batch_size=20, epochs=2, verbose=0)
            for target in targets(pruned):
                assert len(target.mask.value.sharding.device_set) == 2  # replicated on both devices
        finally:
            keras.distribution.set_distribution(None)
    elif BACKEND == "tensorflow":
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            pruned = tf_tickets.prune(build(), "snip", 0.8, data=(X, Y))
            pruned.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                           keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        pruned.fit(X, Y, batch_size=20, epochs=2, verbose=0)
        for target in targets(pruned):
            replicas = [to_numpy(v) for v in target.weight.value.values]
            assert len(replicas) == 2 and np.array_equal(*replicas)
    else:
        return
    assert kernels_exactly_zero(pruned)


def check_save_load_and_strip():
    """`model.save` and `keras.saving.load_model` keep the masks; so does `tf_tickets.load_model` in a fresh
    process (PyTorch's here, which starts fastest) that has not registered tf_tickets' Keras 3 layers."""
    pruned = tf_tickets.prune(build(), "magnitude", 0.8)
    masks = current_masks(pruned)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ticket.keras")
        pruned.save(path)
        loaded = keras.saving.load_model(path)
        if BACKEND == "torch":
            fresh = subprocess.run([sys.executable, __file__, "--load", path], capture_output=True, text=True,
                                   env=os.environ, timeout=300)
            assert fresh.returncode == 0, fresh.stderr[-2000:]
            assert json.loads(fresh.stdout.splitlines()[-1]) == {k: int(m.sum()) for k, m in masks.items()}
    assert {k: v.tolist() for k, v in current_masks(loaded).items()} == {k: v.tolist() for k, v in masks.items()}
    np.testing.assert_array_equal(to_numpy(loaded(X)), to_numpy(pruned(X)))
    plain = tf_tickets.strip(pruned)
    assert not any(type(layer).__module__.startswith("tf_tickets") for layer in plain.layers)
    assert len(plain.weights) == len(pruned.weights) - len(masks)
    for key, mask in masks.items():
        assert np.all(to_numpy(plain.get_layer(key).kernel)[mask == 0] == 0)
    np.testing.assert_allclose(to_numpy(plain(X)), to_numpy(pruned(X)), rtol=1e-5, atol=1e-6)
    assert current_masks(pruned).keys() == masks.keys()  # the pruned model keeps its masks
    report = tf_tickets.format_report(tf_tickets.sparsity_report(pruned))
    assert all(name in report for name in [*masks, "total"]), report


def check_export():
    """`tf_tickets.export.export` writes the `.keras` file and checks it on every backend; SavedModel and TFLite
    files on TensorFlow, each checked; on JAX and PyTorch it writes no other file and says why, in one note."""
    from tf_tickets.export import export

    pruned = tf_tickets.prune(build(), "magnitude", 0.8)
    with tempfile.TemporaryDirectory() as tmp:
        found = export(pruned, os.path.join(tmp, "out"), (X, Y), formats=["keras", "saved_model", "tflite"],
                       latency_repeats=2)
        written = sorted(os.listdir(os.path.join(tmp, "out")))
    rows = {row["format"]: row for row in found["formats"]}
    assert rows["keras"]["file"] == "model.keras" and rows["keras"]["parity"]["keras"]["max_abs_diff"] == 0
    kept = sum(int(m.sum()) for m in current_masks(pruned).values())
    assert found["nonzero_weights"] == rows["keras"]["nonzero_weights"] == kept
    if BACKEND == "tensorflow":
        assert written == ["export.json", "export.md", "model.keras", "model.tflite", "saved_model"], written
        assert rows["saved_model"]["parity"]["keras"]["max_abs_diff"] <= 1e-4 and not found["notes"]
        assert all(check["max_abs_diff"] <= 1e-4 for check in rows["tflite"]["parity"].values())
        assert rows["saved_model"]["nonzero_weights"] == rows["tflite"]["nonzero_weights"] == kept
    else:
        assert written == ["export.json", "export.md", "model.keras"], written
        assert found["notes"] == [f"saved_model, tflite not written: SavedModel and TFLite files need Keras 3's "
                                  f"TensorFlow backend (this process runs {BACKEND}): load the exported model.keras "
                                  "under KERAS_BACKEND=tensorflow and export it there"], found["notes"]
        assert rows["tflite"]["file"] is None and rows["saved_model"]["file"] is None


class Subclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(4, 3, padding="same")
        self.shortcut = keras.layers.Conv2D(4, 1)
        self.flatten = keras.layers.Flatten()
        self.head = [keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)]

    def call(self, x):
        x = self.flatten(keras.ops.relu(self.conv(x)) + self.shortcut(x))
        for layer in self.head:
            x = layer(x)
        return x


def check_subclassed_model():
    model = Subclassed()
    model(X[:2])
    before = [to_numpy(w).copy() for w in model.weights]
    pruned = tf_tickets.prune(model, "snip", 0.9, data=(X, Y))
    assert [t.layer.name for t in targets(pruned)] == [model.conv.name, model.shortcut.name, model.head[0].name,
                                                       model.head[1].name]
    assert all(np.array_equal(a, to_numpy(b)) for a, b in zip(before, model.weights))
    pruned.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    assert kernels_exactly_zero(pruned)
    np.testing.assert_allclose(to_numpy(tf_tickets.strip(pruned)(X)), to_numpy(pruned(X)), rtol=1e-5, atol=1e-6)
    rows = tf_tickets.sparsity_report(pruned)
    empty = {key: np.zeros_like(m) if key == model.conv.name else m for key, m in current_masks(pruned).items()}
    tf_tickets.pruning.assign_masks(pruned, empty)
    found = tf_tickets.pruning.collapse.find(pruned)
    assert found["empty"] == [model.conv.name] and found["connected"], found  # the shortcut still carries it
    return len(rows)


def check_bad_input_is_one_line():
    model = build()
    before = [to_numpy(w).copy() for w in model.weights]
    pruned = tf_tickets.prune(model, "magnitude", 0.5)
    masks = current_masks(pruned)
    bad = [lambda: tf_tickets.prune(model, masks={**masks, "conv1": np.ones((2, 2))}),
           lambda: tf_tickets.prune(keras.Sequential([keras.Input((8, 8, 3)), keras.layers.DepthwiseConv2D(3),
                                                      keras.layers.Flatten(), keras.layers.Dense(3)]),
                                    "magnitude", 0.5, policy=lambda layer: True),
           lambda: tf_tickets.prune(keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()]))]
    for call in bad:
        try:
            call()
        except TicketsError as error:
            assert "\n" not in str(error), error
        else:
            raise AssertionError("no TicketsError")
    assert all(np.array_equal(a, to_numpy(b)) for a, b in zip(before, model.weights))
    # A backend's own tensor where NumPy is expected is read as NumPy.
    tensors = {k: keras.ops.convert_to_tensor(v) for k, v in masks.items()}
    assert all(np.array_equal(current_masks(tf_tickets.prune(model, masks=tensors))[k], masks[k]) for k in masks)


def check_rewinding_and_mask_checks():
    """What the sanity checks and rewinding do to a ticket, through the carrier (no TensorFlow needed)."""
    from tf_tickets.pruning import mask_checks, weights

    dense = build()
    start = weights.snapshot(dense)
    pruned = tf_tickets.prune(dense, "magnitude", 0.7)
    counts = {k: int(m.sum()) for k, m in current_masks(pruned).items()}
    mask_checks.rearrange_masks(pruned, seed=1, weights=start)
    assert {k: int(m.sum()) for k, m in current_masks(pruned).items()} == counts
    mask_checks.shuffle_weights(pruned, seed=2)
    mask_checks.shuffle_masks_globally(pruned, seed=3, weights=start)
    weights.restore(pruned, start)  # a rewind: masks kept, masked weights zero
    assert sum(int(m.sum()) for m in current_masks(pruned).values()) == sum(counts.values())
    assert kernels_exactly_zero(pruned)


def check_data_from_a_torch_data_loader():
    """PyTorch users hand over a DataLoader of (x, y) tensors: the same class-balanced batch as the arrays."""
    if BACKEND != "torch":
        return
    import torch

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(Y)),
                                         batch_size=16)
    model = build()
    expected = current_masks(tf_tickets.prune(model, "snip", 0.8, data=(X, Y)))
    got = current_masks(tf_tickets.prune(model, "snip", 0.8, data=loader))
    assert all(np.array_equal(got[k], expected[k]) for k in expected)


def batch_norm_second_derivative_errors():
    """Relative error of GraSP's Hessian-vector product against central differences of the gradient, in
    float64, on a Dense-BatchNorm-Dense net in training mode: Keras 3's own BatchNorm, and ours."""
    from tf_tickets.models import keras3 as k3models

    primitives = autodiff.of(build())
    errors = {}
    with primitives.float64():
        for name, second_order in [("keras", False), ("second_order", True)]:
            inputs = keras.Input((5,), dtype="float64")
            x = keras.layers.Dense(6, dtype="float64", name="d1")(inputs)
            x = keras.layers.BatchNormalization(dtype="float64")(x)
            model = keras.Model(inputs, keras.layers.Dense(3, dtype="float64", name="d2")(keras.ops.relu(x)))
            if second_order:
                model = k3models.plain_copy(model, type, second_order=True)
            rng = np.random.default_rng(2)
            for w in model.weights:
                w.assign(rng.normal(0, 0.5, w.shape) + (1.0 if "variance" in w.path or "gamma" in w.path else 0))
            weights = [model.get_layer("d1").kernel, model.get_layer("d2").kernel]
            x, y = rng.normal(size=(12, 5)), np.arange(12) % 3
            loss = primitives._loss_function(model, weights, 1.0, training=True)
            _, trainable, others = primitives._state(model, weights)
            args = (trainable, others, primitives.tensor(x), primitives._labels(y))
            values = [primitives.tensor(to_numpy(w)) for w in weights]
            v = [rng.normal(size=w.shape) for w in weights]
            hv = primitives.hessian_vector_product(loss)(values, [primitives.tensor(a) for a in v], *args)
            grad = primitives.gradient(loss)
            eps = 1e-3  # central differences: error ~1e-5 here (PyTorch's float64 Dense is float32-precise)
            plus = grad([primitives.tensor(to_numpy(w) + eps * d) for w, d in zip(values, v)], *args)
            minus = grad([primitives.tensor(to_numpy(w) - eps * d) for w, d in zip(values, v)], *args)
            numeric = np.concatenate([(to_numpy(p) - to_numpy(m)).ravel() / (2 * eps)
                                      for p, m in zip(plus, minus)])
            exact = np.concatenate([to_numpy(h).ravel() for h in hv])
            errors[name] = float(np.abs(exact - numeric).max() / np.abs(numeric).max())
    return errors


def main(out_dir):
    found = scores_and_masks()
    check_fit_keeps_masked_weights_zero()
    check_a_changed_mask_is_seen_by_the_compiled_step()
    check_custom_loop_with_optimizer_apply()
    check_mixed_precision_keeps_float32_master_weights("mixed_bfloat16", 2.0 ** -9)  # bfloat16: 8-bit mantissa
    check_mixed_precision_keeps_float32_master_weights("mixed_float16", 2.0 ** -12)  # float16: 11-bit
    check_data_parallel()
    check_save_load_and_strip()
    check_export()
    check_subclassed_model()
    check_bad_input_is_one_line()
    check_rewinding_and_mask_checks()
    check_data_from_a_torch_data_loader()
    errors = batch_norm_second_derivative_errors()
    if BACKEND != "tensorflow":
        assert "tensorflow" not in sys.modules
    np.savez(os.path.join(out_dir, f"{BACKEND}.npz"), **found)
    with open(os.path.join(out_dir, f"{BACKEND}.json"), "w") as f:
        json.dump({"batch_norm_hvp_error": errors}, f)


if __name__ == "__main__":
    if sys.argv[1] == "--load":  # a fresh process loading a saved ticket
        print(json.dumps({k: int(m.sum()) for k, m in current_masks(tf_tickets.load_model(sys.argv[2])).items()}))
    else:
        main(sys.argv[1])
