"""Model zoo: names, golden weight counts, layer order, initial weights, shapes, mixed precision."""
import numpy as np
import pytest

from tf_tickets.backend import keras
from tf_tickets.errors import TicketsError
from tf_tickets.models import (CLASSIFIER, build, count_prunable, is_residual, names,
                               prunable_layers)


def resnet_prunable(n, w, classes):
    """Kernel weights of cifar_resnet_<6n+2>_<w>, by hand: stem, three stages, two projections, Dense."""
    stem = 9 * 3 * w
    stage1 = 2 * n * 9 * w * w
    stage2 = 9 * w * 2 * w + (2 * n - 1) * 9 * (2 * w) ** 2 + w * 2 * w
    stage3 = 9 * 2 * w * 4 * w + (2 * n - 1) * 9 * (4 * w) ** 2 + 2 * w * 4 * w
    return stem + stage1 + stage2 + stage3 + 4 * w * classes


def vgg_prunable(widths, in_channels, classes):
    chans = [in_channels] + widths
    return sum(9 * a * b for a, b in zip(chans, chans[1:])) + widths[-1] * classes


VGG19 = [64, 64, 128, 128] + [256] * 4 + [512] * 8


def test_golden_counts():
    vgg = build("cifar_vgg_19_bn", (32, 32, 3), 10)
    assert count_prunable(vgg) == 20_024_000 == vgg_prunable(VGG19, 3, 10)
    resnet = build("cifar_resnet_32_32", (32, 32, 3), 10)
    assert count_prunable(resnet) == 1_855_584 == resnet_prunable(5, 32, 10)
    assert len(prunable_layers(resnet)) == 34  # stem + 6n convs + 2 projections + classifier


@pytest.mark.parametrize("depth,width", [(8, 16), (20, 16), (14, 4)])
def test_resnet_counts(depth, width):
    n = (depth - 2) // 6
    model = build(f"cifar_resnet_{depth}_{width}", (32, 32, 3), 100)
    assert count_prunable(model) == resnet_prunable(n, width, 100)
    assert len(prunable_layers(model)) == 6 * n + 4
    assert count_prunable(build("cifar_resnet_20", (32, 32, 3), 10)) == 270_896  # default width 16


def test_vgg11_lenet_conv_counts():
    assert count_prunable(build("cifar_vgg_11", (32, 32, 3), 10)) == vgg_prunable(
        [64, 128, 256, 256, 512, 512, 512, 512], 3, 10)
    assert count_prunable(build("mnist_lenet_300_100", (28, 28, 1), 10)) == 784 * 300 + 300 * 100 + 100 * 10
    assert count_prunable(build("mnist_lenet_50_20_10", (28, 28, 1), 10)) == 784 * 50 + 50 * 20 + 20 * 10 + 10 * 10
    conv2 = 9 * 1 * 64 + 9 * 64 * 64 + 14 * 14 * 64 * 256 + 256 * 256 + 256 * 10
    assert count_prunable(build("conv_2", (28, 28, 1), 10)) == conv2


def test_resnet_layer_order_puts_shortcut_after_second_conv():
    order = [layer.name for layer in prunable_layers(build("cifar_resnet_14", (32, 32, 3), 10))]
    assert order[0] == "stem_conv" and order[-1] == CLASSIFIER
    shortcuts = [i for i, name in enumerate(order) if "shortcut" in name]
    assert [order[i] for i in shortcuts] == ["stage2_block1_shortcut_conv", "stage3_block1_shortcut_conv"]
    for i in shortcuts:
        assert order[i - 1] == order[i].replace("shortcut_conv", "conv2")
        assert order[i - 2] == order[i].replace("shortcut_conv", "conv1")
    # Forward order otherwise: stage by stage, block by block.
    plain = [name for name in order[1:-1] if "shortcut" not in name]
    assert plain == [f"stage{s}_block{b}_conv{c}" for s in (1, 2, 3) for b in (1, 2) for c in (1, 2)]


def test_layer_order_survives_tfmot_wrapping():
    import tensorflow_model_optimization as tfmot

    model = build("cifar_resnet_8_4", (32, 32, 3), 10, seed=0)

    def wrap(layer):
        prunable = isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
        return tfmot.sparsity.keras.prune_low_magnitude(layer) if prunable else layer

    wrapped = keras.models.clone_model(model, clone_function=wrap)
    assert [layer.layer.name for layer in prunable_layers(wrapped)] == [l.name for l in prunable_layers(model)]
    assert count_prunable(wrapped) == count_prunable(model)
    assert is_residual(wrapped)


def test_residual_detection():
    assert is_residual(build("cifar_resnet_8_4", (32, 32, 3), 10))
    for name in ["cifar_vgg_11", "conv_2", "mnist_lenet_300_100", "mnist_conv_small"]:
        assert not is_residual(build(name, (32, 32, 3), 10)), name


def test_count_covers_every_conv_kind_and_nested_models():
    inner_in = keras.Input((8, 8, 4))
    inner = keras.Model(inner_in, keras.layers.SeparableConv2D(6, 3, padding="same")(inner_in))
    x_in = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(x_in)
    x = keras.layers.BatchNormalization()(x)
    x = inner(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = keras.layers.Conv2DTranspose(5, 3)(x)
    x = keras.layers.Reshape((-1, 5))(x)
    x = keras.layers.Conv1D(2, 3)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(3)(x)
    model = keras.Model(x_in, x)
    dense_in = 2 * ((10 * 10) - 2)
    expected = 9 * 3 * 4 + (9 * 4 + 4 * 6) + 9 * 6 * 2 + 9 * 12 * 5 + 3 * 5 * 2 + dense_in * 3
    assert count_prunable(model) == expected
    assert len(prunable_layers(model)) == 6


def test_seed_makes_weights_deterministic():
    a, b, c = (build("cifar_resnet_8_4", (32, 32, 3), 10, seed=s) for s in (7, 7, 8))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    for la, lc in zip(prunable_layers(a), prunable_layers(c)):
        assert not np.array_equal(la.kernel.numpy(), lc.kernel.numpy()), la.name
    # Same-shaped layers in one model get different seeds.
    layers = {layer.name: layer for layer in a.layers}
    assert not np.array_equal(layers["stage1_block1_conv1"].kernel.numpy(),
                              layers["stage1_block1_conv2"].kernel.numpy())
    u, v = build("mnist_conv_small", (28, 28, 1), 10), build("mnist_conv_small", (28, 28, 1), 10)
    assert not np.array_equal(u.layers[1].kernel.numpy(), v.layers[1].kernel.numpy())


def _std_close(values, expected):
    assert abs(np.std(values) / expected - 1) < 0.1, (np.std(values), expected)
    assert abs(np.mean(values)) < 0.1 * expected


def test_init_statistics():
    resnet = {layer.name: layer for layer in build("cifar_resnet_32_32", (32, 32, 3), 10, seed=0).layers}
    _std_close(resnet["stage3_block2_conv1"].kernel.numpy(), np.sqrt(2 / (9 * 128)))  # fan_out
    _std_close(resnet["stage2_block1_shortcut_conv"].kernel.numpy(), np.sqrt(2 / 64))  # 1x1, fan_out 64
    _std_close(resnet[CLASSIFIER].kernel.numpy(), 0.01)
    assert not resnet[CLASSIFIER].bias.numpy().any()
    assert resnet["stem_bn"].momentum == 0.9 and resnet["stem_bn"].epsilon == 1e-5
    vgg = {layer.name: layer for layer in build("cifar_vgg_19", (32, 32, 3), 10, seed=0).layers}
    _std_close(vgg["conv5"].kernel.numpy(), np.sqrt(2 / (9 * 128)))  # 128 -> 256: fan_in 9*128
    assert not vgg["conv5"].bias.numpy().any()
    _std_close(vgg[CLASSIFIER].kernel.numpy(), 0.01)
    lenet = {layer.name: layer for layer in build("mnist_lenet_300_100", (28, 28, 1), 10, seed=0).layers}
    _std_close(lenet["fc1"].kernel.numpy(), np.sqrt(2 / (784 + 300)))  # Glorot normal


SMALL = ["cifar_resnet_8_4", "cifar_vgg_11_bn", "conv_2", "conv_4", "conv_6", "mnist_lenet_300_100",
         "mnist_conv_small"]


@pytest.mark.parametrize("shape", [(32, 32, 3), (28, 28, 1)])
def test_forward_shapes(shape):
    x = np.random.default_rng(0).normal(size=(2,) + shape).astype("float32")
    for name in SMALL:
        model = build(name, shape, 7, seed=0)
        assert model.name == name
        assert model.layers[-1].name == CLASSIFIER
        y = model(x, training=False).numpy()
        assert y.shape == (2, 7) and np.isfinite(y).all(), name


@pytest.fixture
def mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_logits_float32_under_mixed_precision(mixed_bfloat16):
    x = np.zeros((2, 28, 28, 1), "float32")
    for name in SMALL:
        model = build(name, (28, 28, 1), 10)
        assert model.layers[1].compute_dtype == "bfloat16", name
        assert model(x).dtype == "float32", name


@pytest.mark.parametrize("name", ["cifar_resnet_33", "cifar_resnet_2", "cifar_vgg_12", "conv_3", "foo"])
def test_unknown_names(name):
    with pytest.raises(TicketsError, match="known: .*cifar_resnet") as err:
        build(name, (32, 32, 3), 10)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name,shape,classes,seed", [
    ("cifar_resnet_8", (32, 32, 3), 1, None),
    ("cifar_resnet_8", (32, 32, 3), 2.5, None),
    ("cifar_resnet_8", (32, 32), 10, None),
    ("cifar_resnet_8", (0, 32, 3), 10, None),
    ("cifar_resnet_8", 32, 10, None),
    ("cifar_vgg_19", (8, 8, 3), 10, None),
    ("conv_6", (4, 4, 1), 10, None),
    ("mnist_lenet_300_100", (), 10, None),
    ("cifar_resnet_8", (32, 32, 3), 10, -1),
])
def test_bad_arguments(name, shape, classes, seed):
    with pytest.raises(TicketsError):
        build(name, shape, classes, seed=seed)


def test_names_lists_every_family():
    listed = " ".join(names())
    for family in ["cifar_resnet", "cifar_vgg", "mnist_lenet", "conv_", "mnist_conv_small"]:
        assert family in listed


@pytest.mark.parametrize("name, shape", [("mnist_lenet_300_100", (28, 28, 1)), ("cifar_resnet_20", (32, 32, 3)),
                                         ("cifar_vgg_11_bn", (32, 32, 3)), ("conv_2", (32, 32, 3))])
def test_keras3_builds_the_same_architecture_from_the_same_family_code(name, shape):
    """`build(..., keras=keras)`: the registry's networks as Keras 3 models (what the Keras 3 benchmarks train),
    layer for layer the tf_keras ones, the same configs, seeded: one seed, one set of initial weights."""
    import keras as keras3

    def layout(model):
        return [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in model.layers]

    def initializers(model):  # Keras 3's configs add keys of their own: the class and its seed, compared
        return [(layer.name, layer.get_config()["kernel_initializer"]["class_name"],
                 layer.get_config()["kernel_initializer"]["config"]["seed"]) for layer in model.layers
                if "kernel_initializer" in layer.get_config()]

    legacy, model = build(name, shape, 10, seed=3), build(name, shape, 10, seed=3, keras=keras3)
    assert isinstance(model, keras3.Model) and layout(model) == layout(legacy)
    assert initializers(model) == initializers(legacy)
    assert model.layers[-1].dtype_policy.name == "float32" and model.layers[-1].name == CLASSIFIER
    again = build(name, shape, 10, seed=3, keras=keras3)
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.weights, again.weights))
