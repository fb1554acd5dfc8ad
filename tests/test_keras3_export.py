"""Keras 3 tickets shipped (issue 30): Keras' own MobileNetV2 on real Fashion-MNIST images, from SNIP's layer collapse
and its remedy through `fit`, strip, save and load to a sparse TFLite file that gives the Keras model's logits
under LiteRT (examples/keras3_mobilenet_v2.py is the same story for a user to run); a mixed-precision Keras 3
model exported in float32. Keras 3 runs on TensorFlow here, beside tf_keras; export on JAX and PyTorch is in
tests/keras3_checks.py."""
import os
import warnings

import numpy as np
import pytest

import tf_tickets
from examples.keras3_mobilenet_v2 import fashion_mnist_32x32, masked_nonzero, mobilenet_v2
from tf_tickets import data
from tf_tickets.export import export

TRAIN_EXAMPLES = 640  # ten steps of 64: enough for SNIP's class-balanced batch and for fit to move every kernel


@pytest.fixture(scope="module")
def keras3():
    import keras

    assert keras.backend.backend() == "tensorflow"
    return keras


@pytest.fixture(scope="module")
def fashion_mnist():
    images = data.load("embedded")  # real Fashion-MNIST images, shipped with the package
    train = fashion_mnist_32x32(images, images.x_train[:TRAIN_EXAMPLES], images.y_train[:TRAIN_EXAMPLES],
                                shuffle_seed=0)
    return images, train


@pytest.fixture(scope="module")
def tickets(keras3, fashion_mnist):
    """SNIP at 90% on MobileNetV2 (alpha 0.35, 32x32, 10 classes), as published and with min_density; the
    warnings each raised."""
    _, train = fashion_mnist
    model = mobilenet_v2(seed=0)
    found = {}
    for name, options in (("published", {}), ("min_density", {"budget_options": {"min_density": 0.01}})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pruned = tf_tickets.prune(model, "snip", sparsity=0.9, data=train, seed=0, **options)
        found[name] = (pruned, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)])
    return found


def kept(pruned):
    return {row["name"]: row["kept"] for row in tf_tickets.sparsity_report(pruned)}


def test_snip_at_90_percent_empties_conv_1_and_says_so_and_min_density_keeps_it(tickets):
    pruned, warned = tickets["published"]
    assert kept(pruned)["Conv_1"] == 0  # 143,360 weights: the 1x1 conv to 1,280 channels before the classifier
    assert any("disconnected" in w and "by empty Conv_1" in w for w in warned), warned
    pruned, warned = tickets["min_density"]
    counts = kept(pruned)
    assert not warned
    assert counts["Conv_1"] >= 0.01 * 143_360 and all(row["density"] >= 0.01 for row in tf_tickets.sparsity_report(pruned))
    total = sum(counts.values())  # the same 10% of the weights, spread otherwise
    assert total == sum(kept(tickets["published"][0]).values()) == int(0.1 * sum(
        row["size"] for row in tf_tickets.sparsity_report(pruned)))


@pytest.mark.slow  # tracing MobileNetV2's train step takes 10-30 s here, as long for plain Keras 3 as for a ticket
def test_the_ticket_trains_strips_saves_loads_and_exports_sparse_tflite_with_parity(keras3, fashion_mnist, tickets,
                                                                                      tmp_path):
    images, train = fashion_mnist
    pruned, _ = tickets["min_density"]
    pruned.compile(keras3.optimizers.SGD(0.05, momentum=0.9),
                   keras3.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [t.weight.numpy().copy() for t in tf_tickets.pruning.targets(pruned)]
    pruned.fit(train, epochs=1, verbose=0)
    assert masked_nonzero(pruned) == 0
    assert all(not np.array_equal(b, t.weight.numpy()) for b, t in zip(before, tf_tickets.pruning.targets(pruned)))

    path = str(tmp_path / "ticket.keras")
    stripped = tf_tickets.strip(pruned)
    stripped.save(path)
    loaded = keras3.saving.load_model(path)  # plain Keras 3: no tf_tickets class in the file
    test = fashion_mnist_32x32(images, images.x_test[:300], images.y_test[:300])
    batch = next(iter(test))[0]
    np.testing.assert_array_equal(loaded(batch, training=False), pruned(batch, training=False))

    found = export(loaded, str(tmp_path / "export"), test_data=test, formats=["keras", "tflite"], latency_repeats=2)
    rows = {row["format"]: row for row in found["formats"]}
    assert found["test_examples"] == 300 and not found["notes"]
    tflite = rows["tflite"]
    assert tflite["file"] == "model.tflite" and set(tflite["runs_on"]) == {"xnnpack", "builtin"}
    assert all(tflite["parity"][runtime]["max_abs_diff"] <= 1e-4 for runtime in tflite["runs_on"])
    kept_weights = sum(int(t.mask.numpy().sum()) for t in tf_tickets.pruning.targets(pruned))
    dense_kernels = found["nonzero_weights"] - kept_weights  # depthwise kernels: never masked, all non-zero
    assert tflite["nonzero_weights"] == rows["keras"]["nonzero_weights"] == kept_weights + dense_kernels
    assert tflite["bytes"] < 0.3 * tflite["dense_twin"]["bytes"]
    assert sorted(os.listdir(tmp_path / "export")) == ["export.json", "export.md", "model.keras", "model.tflite"]


def test_a_mixed_precision_keras3_model_exports_in_float32(keras3, tmp_path):
    layers = keras3.layers
    keras3.config.set_dtype_policy("mixed_bfloat16")
    try:
        inputs = keras3.Input((8, 8, 3))
        x = layers.BatchNormalization()(layers.Conv2D(8, 3, padding="same", name="conv")(inputs))
        x = layers.Dense(16, activation="relu", name="fc")(layers.Flatten()(layers.ReLU()(x)))
        model = keras3.Model(inputs, layers.Dense(3, dtype="float32", name="classifier")(x))
    finally:
        keras3.config.set_dtype_policy("float32")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 8, 8, 3)).astype(np.float32), np.arange(60) % 3
    pruned = tf_tickets.prune(model, "snip", 0.8, data=(x, y))
    found = export(pruned, str(tmp_path / "out"), (x, y), formats=["keras", "saved_model", "tflite"],
                   latency_repeats=2)
    assert all(row["file"] for row in found["formats"]), found["notes"]
    assert all(check["max_abs_diff"] <= 1e-4 for row in found["formats"] for check in row["parity"].values())
    shipped = keras3.saving.load_model(str(tmp_path / "out" / "model.keras"))
    assert {layer.dtype_policy.name for layer in shipped.layers} == {"float32"}
    assert {layer.dtype_policy.name for layer in pruned.layers if layer.weights} >= {"mixed_bfloat16"}


def test_the_export_command_ships_a_keras3_runs_model_and_refuses_a_run_on_a_users_data(keras3, run_main, tmp_path):
    """`python -m tf_tickets.export --run_dir=RUN` reads a run's config.json (its data set), results.json (it
    finished) and model.keras; a model.keras that Keras 3 wrote loads with Keras 3 and ships as a tf_keras
    run's does. A run on a user's own data (sanity_check) is refused in one line: its data is not kept."""
    from tf_tickets import files, models, run_files

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    pruned = tf_tickets.prune(models.build("mnist_lenet_300_100", (28, 28, 1), 10, seed=0, keras=keras3), "magnitude",
                              sparsity=0.9)
    tf_tickets.strip(pruned).save(str(run_dir / run_files.MODEL))
    files.write_json(str(run_dir / run_files.RESULTS), {"test_accuracy": 0.1})
    settings = {"model": "mnist_lenet_300_100", "dataset": "embedded", "pruning": {"method": "magnitude", "sparsity": 0.9}}
    files.write_json(str(run_dir / run_files.CONFIG), settings)
    result = run_main("tf_tickets.export.command", f"--run_dir={run_dir}", "--formats=keras,tflite",
                      "--test_examples=200", "--latency_repeats=2")
    assert result.returncode == 0, result.stderr
    report = files.read_json(str(run_dir / run_files.EXPORT / "export.json"))
    kept_weights = sum(int(t.mask.numpy().sum()) for t in tf_tickets.pruning.targets(pruned))
    assert [row["nonzero_weights"] for row in report["formats"]] == [kept_weights] * 2
    assert all(check["max_abs_diff"] <= 1e-4 for check in report["formats"][1]["parity"].values())

    files.write_json(str(run_dir / run_files.CONFIG), {**settings, "dataset": "user:0123456789ab"})
    result = run_main("tf_tickets.export.command", f"--run_dir={run_dir}", f"--out={tmp_path / 'again'}")
    assert result.returncode == 2 and "trained on your own data" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "again").exists()


def test_a_keras3_lambda_is_pruned_and_its_export_needs_trust(keras3, tmp_path):
    """Pruning copies a Lambda layer (the program's own code); export refuses it in one line before writing
    anything, since its .keras file carries the lambda's bytecode, and writes it with trust_code=True."""
    layers = keras3.layers
    model = keras3.Sequential([keras3.Input((8, 8, 3)), layers.Lambda(lambda t: 2.0 * t), layers.Flatten(),
                               layers.Dense(3, name="classifier")])
    pruned = tf_tickets.prune(model, "magnitude", 0.5)
    x, y = np.random.default_rng(1).normal(size=(20, 8, 8, 3)).astype(np.float32), np.arange(20) % 3
    np.testing.assert_allclose(pruned(x), tf_tickets.strip(pruned)(x), rtol=1e-6)
    with pytest.raises(tf_tickets.TicketsError, match="layer 'lambda' .*Lambda.* holds a Python lambda") as error:
        export(pruned, str(tmp_path / "out"), (x, y), formats=["keras"])
    assert "\n" not in str(error.value) and not (tmp_path / "out").exists()
    found = export(pruned, str(tmp_path / "out"), (x, y), formats=["keras"], trust_code=True)
    assert found["formats"][0]["parity"]["keras"]["max_abs_diff"] == 0
