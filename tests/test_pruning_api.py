"""`tf_tickets.prune` on users' models: wrapping by policy, exact masks, untouched originals, files."""
import numpy as np
import pytest
import tensorflow_model_optimization as tfmot

import tf_tickets
from tf_tickets import models
from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import FixedMask, OneShot, mask_files, targets, wrap


def functional_with_branches():
    inputs = keras.Input((16, 16, 3))
    a = keras.layers.Conv2D(8, 3, padding="same", name="a")(inputs)
    b = keras.layers.SeparableConv2D(8, 3, padding="same", name="b")(inputs)
    c = keras.layers.DepthwiseConv2D(3, padding="same", name="c")(inputs)
    c = keras.layers.Conv2D(8, 1, name="c_pointwise")(c)
    x = keras.layers.Add()([a, b, c])
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="up")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, name="classifier")(x))


def sequential_conv1d():
    return keras.Sequential([keras.Input((32, 4)), keras.layers.Conv1D(16, 5, name="c1"),
                             keras.layers.Flatten(), keras.layers.Dense(32, name="d1"),
                             keras.layers.Dense(10, name="classifier")])


def random_data(model, n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *model.input_shape[1:])).astype(np.float32)
    return x, np.arange(n) % 10


@pytest.mark.parametrize("builder", [functional_with_branches, sequential_conv1d])
def test_prune_returns_a_new_masked_model_and_leaves_the_original_alone(builder):
    model = builder()
    before = [w.copy() for w in model.get_weights()]
    pruned = tf_tickets.prune(model, method="magnitude", sparsity=0.8, budget="layerwise")
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert not any(hasattr(layer, "pruning_vars") for layer in model.layers)
    rows = tf_tickets.sparsity_report(pruned)
    assert rows and [set(r) >= {"name", "size", "kept", "density"} for r in rows]
    for row, target in zip(rows, targets(pruned)):
        assert row["kept"] == int((1 - 0.8) * row["size"])  # layerwise: int(density * size) in every layer
        weight = target.weight.numpy()
        assert np.all(weight[target.mask.numpy() == 0] == 0)
        # magnitude: every kept weight is at least as large as every pruned one (in the original)
        original = model.get_layer(target.layer.name).get_weights()[0] if target.attr == "kernel" else None
        if original is not None:
            kept, dropped = np.abs(original[target.mask.numpy() == 1]), np.abs(original[target.mask.numpy() == 0])
            assert kept.min() >= dropped.max()
    # The same input gives the same output as the original network with the masked weights.
    x, _ = random_data(model, 4)
    plain = tf_tickets.strip(pruned)
    np.testing.assert_allclose(plain(x).numpy(), pruned(x).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("builder", [functional_with_branches, sequential_conv1d])
def test_a_wrapped_copy_holds_the_models_weights_and_its_layers_keep_their_own_initializers(builder):
    """Wrapping builds its copies from zeros instead of drawing their initializers, then copies the weights in:
    each copy must end with the original's weights and the original's config, initializers included (a
    re-initialisation check or a saved model reads them)."""
    from tf_tickets.pruning.carrier import inner_layer

    model = builder()
    wrapped = wrap(model)
    for layer in wrapped.layers:
        inner = inner_layer(layer)
        original = model.get_layer(inner.name)
        assert inner.get_config() == original.get_config(), inner.name
        for mine, theirs in zip(inner.weights, original.weights):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    initializers = [inner_layer(layer).kernel_initializer for layer in wrapped.layers
                    if hasattr(inner_layer(layer), "kernel_initializer")]
    assert initializers and not any(isinstance(i, keras.initializers.Zeros) for i in initializers)


def test_which_layers_carry_masks_follows_the_policy():
    model = functional_with_branches()
    names = lambda m: [t.key for t in targets(m)]  # noqa: E731
    # TF-MOT masks a SeparableConv2D's pointwise kernel; a DepthwiseConv2D has no prunable weight.
    assert names(wrap(model)) == ["a", "b", "c_pointwise", "up", "classifier"]
    assert names(wrap(model, "skip_classifier")) == ["a", "b", "c_pointwise", "up"]
    assert names(wrap(model, "skip_first")) == ["b", "c_pointwise", "up", "classifier"]
    net = models.build("cifar_resnet_8", (32, 32, 3), 10)
    wrapped = wrap(net)
    assert [t.key for t in targets(wrapped)] == [layer.name for layer in models.prunable_layers(net)]
    assert all(not hasattr(l, "pruning_vars") for l in wrapped.layers
               if isinstance(l, (keras.layers.BatchNormalization, keras.layers.Add)))


def test_custom_prunable_layer_takes_part():
    class Scale(keras.layers.Layer, tfmot.sparsity.keras.PrunableLayer):
        def build(self, shape):
            self.w = self.add_weight("w", shape=(shape[-1], 10))

        def call(self, x):
            return tf.matmul(x, self.w)

        def get_prunable_weights(self):
            return [self.w]

    inputs = keras.Input((20,))
    model = keras.Model(inputs, Scale(name="scale")(keras.layers.Dense(20, name="d")(inputs)))
    pruned = tf_tickets.prune(model, method="random", sparsity=0.5, budget="layerwise", seed=1)
    assert {r["name"]: r["kept"] for r in tf_tickets.sparsity_report(pruned)} == {"d": 200, "scale": 100}


def test_unsupported_models_get_one_line_errors():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(10)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(TicketsError, match="subclassed model.*Functional") as error:
        tf_tickets.prune(Subclassed(), method="random", sparsity=0.5)
    assert "\n" not in str(error.value)
    import keras as keras3  # a Keras 3 model goes to the Keras 3 stack (tests/test_keras3_pruning.py)
    k3 = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(2, name="out")])
    assert list(tf_tickets.pruning.current_masks(tf_tickets.prune(k3, method="random", sparsity=0.5))) == ["out"]
    nothing = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    with pytest.raises(TicketsError, match="nothing to prune"):
        tf_tickets.prune(nothing, method="random", sparsity=0.5)


def test_a_nested_model_with_prunable_layers_is_refused_by_name_not_left_dense():
    """Wrapping reaches a model's own layers; a backbone nested as one layer would keep every weight while the
    ticket reported its sparsity over the rest."""
    def nested(inner_layers):
        inputs = keras.Input((8, 8, 3))
        backbone = keras.Model(inputs, keras.Sequential(inner_layers)(inputs), name="backbone")
        x = keras.Input((8, 8, 3))
        return keras.Model(x, keras.layers.Dense(2, name="head")(keras.layers.Flatten()(backbone(x))), name="net")

    model = nested([keras.layers.Conv2D(4, 3, name="conv_a"), keras.layers.Conv2D(4, 3, name="conv_b")])
    with pytest.raises(TicketsError, match="'net' holds the model 'backbone'.*conv_a, conv_b.*stay dense") as error:
        tf_tickets.prune(model, method="random", sparsity=0.5)
    assert "\n" not in str(error.value)
    # Nothing prunable inside (preprocessing, say): the outer layers are all there is, and they are pruned.
    plain = tf_tickets.prune(nested([keras.layers.Rescaling(0.5)]), method="random", sparsity=0.5)
    assert [layer.name for layer in plain.layers if tf_tickets.pruning.is_wrapped(layer)] == ["prune_low_magnitude_head"]


@pytest.mark.parametrize("kwargs, message", [
    ({"sparsity": 1.0}, "sparsity must be in \\[0, 1\\)"), ({"sparsity": -0.1}, "sparsity must be in \\[0, 1\\)"),
    ({"method": "oracle"}, "unknown criterion 'oracle'"), ({"budget": "fair"}, "unknown budget 'fair'"),
    ({"method": "snip"}, "snip needs data"), ({"policy": "every_other"}, "unknown pruning policy"),
])
def test_bad_arguments_are_one_line_errors(kwargs, message):
    model = sequential_conv1d()
    with pytest.raises(TicketsError, match=message) as error:
        tf_tickets.prune(model, **{"method": "random", "sparsity": 0.5, **kwargs})
    assert "\n" not in str(error.value)


def test_labels_beyond_the_class_count_are_refused():
    model = sequential_conv1d()
    x, y = random_data(model)
    with pytest.raises(TicketsError, match="classes"):
        tf_tickets.prune(model, method="snip", sparsity=0.5, data=(x, y + 5))


def test_same_seed_same_masks_bit_for_bit_and_exact_global_count():
    model = models.build("cifar_resnet_8", (32, 32, 3), 10, seed=3)
    x = np.random.default_rng(0).normal(size=(100, 32, 32, 3)).astype(np.float32)
    y = np.arange(100) % 10
    runs = [tf_tickets.pruning.current_masks(tf_tickets.prune(model, "snip", 0.9, data=(x, y), seed=7))
            for _ in range(2)]
    for key in runs[0]:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])
    total = sum(r["size"] for r in tf_tickets.sparsity_report(tf_tickets.prune(model, "snip", 0.9, data=(x, y))))
    kept = sum(int(m.sum()) for m in runs[0].values())
    assert kept == int(total * (1 - 0.9))  # the reference's int(N * (1 - p)), float rounding included
    other = tf_tickets.pruning.current_masks(tf_tickets.prune(model, "random", 0.9, budget="smart_ratio", seed=8))
    assert any(not np.array_equal(other[k], runs[0][k]) for k in other)


def test_mask_files_round_trip_and_mismatches_are_refused(tmp_path):
    model = models.build("cifar_resnet_8", (32, 32, 3), 10, seed=0)
    pruned = tf_tickets.prune(model, "random", 0.9, budget="smart_ratio", seed=0)
    path = str(tmp_path / "masks.npz")
    mask_files.save(tf_tickets.pruning.current_masks(pruned), path)
    again = tf_tickets.prune(model, masks=mask_files.load(path))
    for a, b in zip(targets(pruned), targets(again)):
        np.testing.assert_array_equal(a.mask.numpy(), b.mask.numpy())
    other = models.build("cifar_resnet_14", (32, 32, 3), 10)
    with pytest.raises(TicketsError, match="do not match the model"):
        tf_tickets.prune(other, masks=mask_files.load(path))
    # A pickled object array is refused, never unpickled.
    evil = tmp_path / "evil.npz"
    np.savez(evil, stem_conv=np.array([object()], dtype=object))
    with pytest.raises(TicketsError, match="cannot read mask file"):
        mask_files.load(str(evil))


def test_masks_of_any_0_1_dtype_go_in_and_other_values_are_refused():
    model = models.build("cifar_resnet_8", (32, 32, 3), 10, seed=0)
    pruned = tf_tickets.prune(model, "magnitude", 0.8)
    masks = tf_tickets.pruning.current_masks(pruned)
    for dtype in (bool, np.uint8, np.float64):
        again = tf_tickets.prune(model, masks={k: m.astype(dtype) for k, m in masks.items()})
        for key, mask in tf_tickets.pruning.current_masks(again).items():
            assert mask.dtype == np.float32
            np.testing.assert_array_equal(mask, masks[key])
    half = dict(masks)
    half["stem_conv"] = masks["stem_conv"] * 0.5
    with pytest.raises(TicketsError, match="mask 'stem_conv' holds values other than 0 and 1"):
        tf_tickets.prune(model, masks=half)
    with pytest.raises(TicketsError, match="mask 'stem_conv' holds <U3 values, not 0 and 1"):
        tf_tickets.prune(model, masks={**masks, "stem_conv": np.full(masks["stem_conv"].shape, "one")})


def test_pruner_masks_are_the_budgets_float_masks_of_the_scores():
    """The Pruner casts the budget's booleans in TensorFlow: the same 0/1 float32 masks as `Budget.masks`."""
    model = models.build("cifar_resnet_8", (32, 32, 3), 10, seed=0)
    wrapped = wrap(model)
    for budget in ("global", "layerwise"):
        pruner = tf_tickets.pruning.Pruner("magnitude", 0.9, budget=budget)
        ranking = pruner.ranking(wrapped)
        # The density the Pruner uses: 1 - 0.9 is not 0.1, and int(N * density) can differ by one.
        expected = pruner.layer_budget.masks(ranking.setup.infos, 1 - 0.9, ranking.scores, residual=True)
        for (key, mask), want in zip(pruner.masks(wrapped).items(), expected):
            assert mask.dtype == np.float32, key
            np.testing.assert_array_equal(mask, want)


def test_saved_models_load_back_with_masks_and_schedules(tmp_path):
    model = models.build("mnist_conv_small", (28, 28, 1), 10, seed=0)
    pruned = tf_tickets.prune(model, "random", 0.75, budget="layerwise", seed=0)
    one_shot = wrap(model, schedule_for=lambda layer: OneShot(0.5, prune_step=3))
    x, _ = random_data(model, 8)
    for i, net in enumerate([pruned, one_shot]):
        path = str(tmp_path / f"m{i}.keras")
        net.save(path)
        loaded = tf_tickets.load_model(path)
        np.testing.assert_allclose(loaded(x).numpy(), net(x).numpy(), rtol=1e-6)
        for a, b in zip(targets(net), targets(loaded)):
            np.testing.assert_array_equal(a.mask.numpy(), b.mask.numpy())
        schedules = [[l.pruning_schedule for l in m.layers if hasattr(l, "pruning_vars")] for m in (net, loaded)]
        assert [type(s) for s in schedules[1]] == [type(s) for s in schedules[0]] == [(FixedMask, OneShot)[i]] * len(schedules[0])
        assert schedules[0]
        assert [s.get_config() for s in schedules[1]] == [s.get_config() for s in schedules[0]]
    with pytest.raises(TicketsError, match="no saved model"):
        tf_tickets.load_model(str(tmp_path / "missing.keras"))


def test_one_shot_schedule_prunes_by_magnitude_exactly_once():
    model = models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=0)
    counts = {"fc1": 1000, "fc2": 300, "classifier": 150}
    sizes = {layer.name: int(np.prod(layer.kernel.shape)) for layer in models.prunable_layers(model)}
    wrapped = wrap(model, schedule_for=lambda layer: OneShot(1 - counts[layer.name] / sizes[layer.name], 2))
    wrapped.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = random_data(model, 64)
    wrapped.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    assert {r["name"]: r["kept"] for r in tf_tickets.sparsity_report(wrapped)} == counts


def op_types(concrete_function):
    graph = concrete_function.graph.as_graph_def()
    functions = graph.library.function
    return {node.op for node in graph.node}.union(*({node.op for node in f.node_def} for f in functions))


def test_a_fixed_mask_tickets_training_step_builds_no_mask_update():
    # A FixedMask never prunes, so the step TF-MOT traces for it need not hold the ranking that a
    # pruning schedule runs (top-k over each weight): tracing it took 0.46 of a pruned LeNet's 0.62 s.
    model = models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=0)
    x, y = random_data(model, 16)
    ranks = {}
    for schedule in (FixedMask, lambda: OneShot(0.5, prune_step=2)):
        wrapped = wrap(model, schedule_for=lambda layer: schedule())
        wrapped.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        batches = iter(tf.data.Dataset.from_tensor_slices((x, y)).batch(16))
        ranks[type(schedule())] = "TopKV2" in op_types(wrapped.make_train_function().get_concrete_function(batches))
    assert ranks == {FixedMask: False, OneShot: True}


def test_readme_example_with_a_tf_data_pipeline(tmp_path):
    from tf_tickets import data
    from tf_tickets.data import pipeline

    fmnist = data.load("embedded")
    train_ds = pipeline.train_dataset(fmnist, batch_size=64, seed=0)
    model = models.build("mnist_conv_small", fmnist.input_shape, fmnist.num_classes, seed=0)
    pruned = tf_tickets.prune(model, method="snip", sparsity=0.9, data=train_ds, budget="global", seed=0)
    table = tf_tickets.format_report(tf_tickets.sparsity_report(pruned))
    assert table.splitlines()[-1].startswith("| total |")
    pruned.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"])
    history = pruned.fit(train_ds, epochs=2, steps_per_epoch=40, verbose=0,
                         callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    assert history.history["accuracy"][-1] > 0.25  # chance is 0.1; 80 steps of a 90%-sparse tiny net
    plain = tf_tickets.strip(pruned)
    assert not any(hasattr(layer, "pruning_vars") for layer in plain.layers)
    kernels = np.concatenate([layer.kernel.numpy().ravel() for layer in models.prunable_layers(plain)])
    assert np.count_nonzero(kernels) <= int(kernels.size * (1 - 0.9))
    plain.save(str(tmp_path / "ticket.keras"))
