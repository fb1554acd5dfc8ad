"""Keras 3 models on the TensorFlow backend, in this process beside tf_keras: the same masks as the tf_keras path
for the same weights, reports and collapse warnings, every kind of data, rewinding and the mask checks, mixed
float16, and one-line errors that leave the user's model as it was. JAX and PyTorch, and what needs a process
of its own (MirroredStrategy, save/load), are tests/test_keras3_backends.py."""
import numpy as np
import pytest

import tf_tickets
from tf_tickets import TicketsError
from tf_tickets.backend import keras as tf_keras, tf
from tf_tickets.pruning import current_masks, mask_checks, targets, weights as snapshots

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 8, 8, 3)).astype(np.float32)
Y = np.arange(60) % 3


@pytest.fixture(scope="module")
def keras3():
    import keras

    assert keras.backend.backend() == "tensorflow"  # tf_keras's process: Keras 3 on TensorFlow beside it
    return keras


def build(keras_module, seed=1):
    """The same residual conv net in tf_keras or Keras 3; weights drawn by NumPy in `model.weights` order."""
    layers = keras_module.layers
    inputs = keras_module.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="conv1")(inputs)
    x = layers.ReLU(name="relu1")(layers.BatchNormalization(name="bn1")(x))
    x = layers.BatchNormalization(name="bn2")(layers.Conv2D(4, 3, padding="same", name="conv2")(x))
    shortcut = layers.Conv2D(4, 1, name="shortcut")(inputs)
    x = layers.ReLU(name="relu2")(layers.Add(name="add")([x, shortcut]))
    x = layers.Dense(16, activation="relu", name="fc1")(layers.Flatten(name="flatten")(x))
    model = keras_module.Model(inputs, layers.Dense(3, name="classifier")(x), name="net")
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        positive = any(part in weight.name for part in ("moving_variance", "gamma"))
        weight.assign((rng.uniform(0.5, 1.5, weight.shape) if positive else rng.normal(0, 0.3, weight.shape))
                      .astype(np.float32))
    return model


def kernels_exactly_zero(model) -> bool:
    return all(np.all(np.asarray(t.weight.numpy())[t.mask.numpy() == 0] == 0) for t in targets(model))


@pytest.mark.parametrize("criterion, options", [
    ("random", {}), ("magnitude", {}), ("snip", {}), ("grasp", {}), ("obd", {}), ("magnitude_gradient", {}),
    ("synflow", {"criterion_options": {"rounds": 5}}), ("snip", {"budget": "smart_ratio"}),
    ("magnitude", {"budget": "layerwise", "block": 4}), ("random", {"budget": "erk", "seed": 7}),
    ("magnitude", {"budget_options": {"min_density": 0.1}, "policy": "skip_first"}),
    ("snip", {"policy": "skip_shortcuts", "score_batches": 2})])
def test_a_keras3_model_gets_the_masks_its_tf_keras_twin_gets(keras3, criterion, options):
    options = {"seed": 1, **options}
    expected = current_masks(tf_tickets.prune(build(tf_keras), criterion, 0.8, data=(X, Y), **options))
    got = current_masks(tf_tickets.prune(build(keras3), criterion, 0.8, data=(X, Y), **options))
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def build_other_convs(keras_module):
    """Separable, transposed and 1-D convolutions: the kernels TF-MOT masks there (the pointwise one of a
    separable conv), in both Keras."""
    layers = keras_module.layers
    inputs = keras_module.Input((8, 8, 3), name="image")
    x = layers.SeparableConv2D(4, 3, name="separable")(inputs)
    x = layers.Conv2DTranspose(3, 3, name="transposed")(x)
    x = layers.Conv1D(4, 3, name="conv1d")(layers.Reshape((64, 3), name="reshape")(x))
    model = keras_module.Model(inputs, layers.Dense(3, name="classifier")(layers.Flatten(name="flatten")(x)))
    rng = np.random.default_rng(4)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype(np.float32))
    return model


def test_separable_transposed_and_1d_convs_carry_the_masks_of_tf_keras_and_train_with_them(keras3):
    expected = current_masks(tf_tickets.prune(build_other_convs(tf_keras), "snip", 0.8, data=(X, Y)))
    pruned = tf_tickets.prune(build_other_convs(keras3), "snip", 0.8, data=(X, Y))
    got = current_masks(pruned)
    assert list(got) == ["separable", "transposed", "conv1d", "classifier"] == list(expected)
    assert got["separable"].shape == (1, 1, 3, 4)  # the pointwise kernel
    assert all(np.array_equal(got[k], expected[k]) for k in got)
    pruned.compile(keras3.optimizers.Adam(0.01), keras3.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    assert kernels_exactly_zero(pruned)


def test_reports_and_collapse_warnings_name_layers_and_connectivity(keras3):
    model = build(keras3)
    masks = current_masks(tf_tickets.prune(model, "magnitude", 0.5))
    survivable = {**masks, "conv2": np.zeros_like(masks["conv2"])}  # the shortcut still carries the signal
    with pytest.warns(RuntimeWarning, match=r"empty inside a branch \(survivable\): conv2"):
        pruned = tf_tickets.prune(model, masks=survivable)
    assert "conv2 (empty)" in tf_tickets.format_report(tf_tickets.sparsity_report(pruned))
    cut = {**masks, "fc1": np.zeros_like(masks["fc1"])}
    with pytest.raises(TicketsError, match="disconnected .* by empty fc1") as error:
        tf_tickets.prune(model, masks=cut, on_collapse="raise")
    assert "\n" not in str(error.value)
    with pytest.warns(RuntimeWarning):
        rows = tf_tickets.sparsity_report(tf_tickets.prune(model, masks=cut))
    assert [(r["name"], r["empty"], r["disconnects"]) for r in rows if r["empty"]] == [("fc1", True, True)]


def test_every_kind_of_data_gives_the_same_batch_and_masks(keras3):
    class Batches(keras3.utils.PyDataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return X[i * 10:(i + 1) * 10], Y[i * 10:(i + 1) * 10]

    model = build(keras3)
    kinds = {"arrays": (X, Y), "dataset": tf.data.Dataset.from_tensor_slices((X, Y)).batch(7),
             "py_dataset": Batches(), "generator": ((X[i:i + 5], Y[i:i + 5]) for i in range(0, 60, 5))}
    found = {name: current_masks(tf_tickets.prune(model, "snip", 0.8, data=data)) for name, data in kinds.items()}
    for name, masks in found.items():
        assert all(np.array_equal(masks[k], found["arrays"][k]) for k in masks), name


def test_rewinding_and_the_mask_checks_work_through_the_carrier(keras3):
    dense = build(keras3)
    pruned = tf_tickets.prune(dense, "magnitude", 0.7)
    start = snapshots.snapshot(dense)
    assert set(start) == set(snapshots.snapshot(pruned))  # masks are no part of a snapshot
    counts = {k: int(m.sum()) for k, m in current_masks(pruned).items()}
    before = current_masks(pruned)
    mask_checks.rearrange_masks(pruned, seed=1, weights=start)
    after = current_masks(pruned)
    assert {k: int(m.sum()) for k, m in after.items()} == counts
    assert any(not np.array_equal(after[k], before[k]) for k in after)
    for target in targets(pruned):  # newly kept positions hold the dense model's values, the rest zero
        np.testing.assert_array_equal(target.weight.numpy(), start[f"{target.key}/kernel"] * after[target.key])
    kept = {t.key: np.sort(t.weight.numpy()[after[t.key] == 1]) for t in targets(pruned)}
    mask_checks.shuffle_weights(pruned, seed=2)
    assert all(np.array_equal(np.sort(t.weight.numpy()[after[t.key] == 1]), kept[t.key]) for t in targets(pruned))
    mask_checks.shuffle_masks_globally(pruned, seed=3, weights=start)
    assert sum(int(m.sum()) for m in current_masks(pruned).values()) == sum(counts.values())
    assert kernels_exactly_zero(pruned)


def test_mixed_float16_keeps_masked_weights_zero_and_float32_kernels(keras3):
    keras3.config.set_dtype_policy("mixed_float16")
    try:
        pruned = tf_tickets.prune(build(keras3), "snip", 0.8, data=(X, Y))
        pruned.compile(keras3.optimizers.SGD(0.05, momentum=0.9),
                       keras3.losses.SparseCategoricalCrossentropy(from_logits=True))
        assert isinstance(pruned.optimizer, keras3.optimizers.LossScaleOptimizer)
        pruned.fit(X, Y, batch_size=20, epochs=2, verbose=0)
    finally:
        keras3.config.set_dtype_policy("float32")
    assert {t.weight.dtype for t in targets(pruned)} == {"float32"} and kernels_exactly_zero(pruned)


def test_bad_input_is_one_line_and_leaves_the_model_as_it_was(keras3):
    layers = keras3.layers
    model = build(keras3)
    before = [w.numpy().copy() for w in model.weights]
    masks = current_masks(tf_tickets.prune(model, "magnitude", 0.5))
    inputs = keras3.Input((8, 8, 3))
    backbone = keras3.Model(inputs, layers.Conv2D(2, 3, name="inner_conv")(inputs), name="backbone")
    nested = keras3.Model(inputs, layers.Dense(2)(layers.Flatten()(backbone(inputs))), name="outer")

    class MyDense(layers.Dense):
        pass

    class Unbuilt(keras3.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    cases = [(lambda: tf_tickets.prune(nested), "holds the model 'backbone' as a layer"),
             (lambda: tf_tickets.prune(keras3.Sequential([keras3.Input((4,)), layers.BatchNormalization()])),
              "nothing to prune"),
             (lambda: tf_tickets.prune(model, masks={**masks, "fc1": np.ones((3, 3))}), "masks do not match the model"),
             (lambda: tf_tickets.prune(model, "magnitude", policy="xnnpack_1x1"), "TF-MOT's policy"),
             (lambda: tf_tickets.prune(model, "magnitude", policy=tf_tickets.pruning.policies.ConvDense()),
              "TF-MOT PruningPolicy"),
             (lambda: tf_tickets.prune(keras3.Sequential([keras3.Input((8, 8, 3)), layers.DepthwiseConv2D(3)]),
                                       policy=lambda layer: True), "DepthwiseConv2D"),
             (lambda: tf_tickets.prune(keras3.Sequential([keras3.Input((4,)), MyDense(2, name="mine")])),
              "'mine' is a MyDense, a subclass of Keras' Dense"),
             (lambda: tf_tickets.prune(Unbuilt()), "must be built"),
             (lambda: tf_tickets.prune(tf_tickets.prune(model)), "carries masks already")]
    for call, message in cases:
        with pytest.raises(TicketsError, match=message) as error:
            call()
        assert "\n" not in str(error.value)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))
    as_tensors = {key: tf.constant(mask) for key, mask in masks.items()}  # a framework's tensors are read too
    assert all(np.array_equal(current_masks(tf_tickets.prune(model, masks=as_tensors))[k], masks[k]) for k in masks)
