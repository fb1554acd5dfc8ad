"""Scoring reuses one plain copy per architecture and traces gradients from the second use: the masks
must be exactly what a fresh copy gives, whatever was scored before."""
import numpy as np
import pytest

import tf_tickets
from tf_tickets import criteria, models
from tf_tickets.criteria.autodiff import tf_keras as tf_keras_autodiff
from tf_tickets.pruning import Pruner, scoring_copies, wrap

RNG = np.random.default_rng(0)
X = RNG.random((100, 28, 28, 1)).astype(np.float32)
Y = np.arange(100) % 10


def fresh_masks(pruner, wrapped):
    scoring_copies.clear()
    return pruner.masks(wrapped, batch=(X, Y))


@pytest.mark.parametrize("criterion", ["magnitude", "snip", "grasp", "synflow"])
def test_a_kept_copy_scores_like_a_fresh_one(criterion):
    options = {"rounds": 3} if criterion == "synflow" else {}
    pruner = Pruner(criterion, 0.8, criterion_options=options)
    a = wrap(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=1))
    b = wrap(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=2))
    expected = {"a": fresh_masks(pruner, a), "b": fresh_masks(pruner, b)}
    scoring_copies.clear()
    for name, wrapped in [("a", a), ("b", b), ("a", a), ("b", b)]:  # eager, then traced, refilled each time
        got = pruner.masks(wrapped, batch=(X, Y))
        assert all(np.array_equal(got[k], expected[name][k]) for k in got), (criterion, name)
    assert len(scoring_copies._COPIES) == 1  # one architecture, one copy


def test_traced_gradients_equal_the_eager_ones():
    model = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0)
    weights = [layer.kernel for layer in models.prunable_layers(model)]
    for name in ("snip", "grasp"):
        criterion = criteria.make(name)
        eager = criterion.score(model, weights, batch=(X, Y))
        traced = criterion.score(model, weights, batch=(X, Y))
        for e, t in zip(eager, traced):
            np.testing.assert_allclose(t, e, rtol=1e-3, atol=1e-5 * np.abs(e).max())


def test_the_scored_model_is_untouched_and_masks_survive_a_prune():
    net = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=3)
    before = [w.copy() for w in net.get_weights()]
    first = tf_tickets.prune(net, "grasp", 0.9, data=(X, Y))
    second = tf_tickets.prune(net, "grasp", 0.9, data=(X, Y))
    assert all(np.array_equal(a, b) for a, b in zip(before, net.get_weights()))
    m1, m2 = tf_tickets.pruning.current_masks(first), tf_tickets.pruning.current_masks(second)
    assert all(np.array_equal(m1[k], m2[k]) for k in m1)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_every_scoring_sees_the_masked_weights_and_leaves_the_wrapped_model_as_it_is(policy):
    """After a rewind (the inner layers' weights set, masked ones not zero until the next training step), the
    first scoring of an architecture and later ones alike score the masked network, and the wrapped model
    keeps the weights it was given."""
    from tf_tickets.backend import keras
    from tf_tickets.pruning import assign_masks, current_masks, targets

    keras.mixed_precision.set_global_policy(policy)
    try:
        wrapped = wrap(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=4))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    masks = {k: (RNG.random(m.shape) < 0.5).astype(np.float32) for k, m in current_masks(wrapped).items()}
    assign_masks(wrapped, masks)
    scoring_copies.clear()
    for _ in range(2):  # the copy made, then refilled
        for target in targets(wrapped):  # a rewind: every weight non-zero again
            target.weight.assign(RNG.normal(size=target.weight.shape).astype(np.float32))
        before = [w.copy() for w in wrapped.get_weights()]
        copy = scoring_copies.scoring_copy(wrapped)
        for target in targets(wrapped):
            kernel = getattr(copy.get_layer(target.layer.name), target.attr).numpy()
            mask = masks[target.key]
            assert np.all(kernel[mask == 0] == 0) and np.all(kernel[mask == 1] != 0), target.key
        assert all(np.array_equal(a, b) for a, b in zip(before, wrapped.get_weights()))


class Scaled(tf_tickets.backend.keras.layers.Layer):
    """A user's own layer whose config has an `_initializer` entry that is not an initialiser."""

    def __init__(self, scale_initializer=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale_initializer = float(scale_initializer)

    def call(self, x):
        return x * self.scale_initializer

    def get_config(self):
        return {**super().get_config(), "scale_initializer": self.scale_initializer}


def test_copies_start_keras_layers_from_zeros_and_leave_a_users_layer_as_configured():
    """Copies whose weights are all written next skip the initialisers' random draws, for Keras's layers
    only: a user's layer is rebuilt from its config as it is, and its model prunes."""
    keras = tf_tickets.backend.keras
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(Scaled(3.0)(inputs))
    net = keras.Model(inputs, keras.layers.Dense(10, kernel_initializer="ones")(keras.layers.Dense(32)(x)))
    with models.common.BlankCopy("float64") as blank:
        dense = blank(net.layers[-1])
        dense.build((None, 32))
        assert dense.dtype == "float64" and not np.any(dense.get_weights()[0])
        assert blank(net.layers[1]).scale_initializer == 3.0
        fourier = keras.layers.experimental.RandomFourierFeatures(8, kernel_initializer="laplacian")
        assert blank(fourier).kernel_initializer == "laplacian"  # a Keras layer that refuses "zeros" there
    # Left, once built, each copy's config is its model's again (an exported file keeps them).
    assert isinstance(dense.kernel_initializer, keras.initializers.Ones)
    assert dense.get_config()["kernel_initializer"] == net.layers[-1].get_config()["kernel_initializer"]
    scoring_copies.clear()
    expected = net.predict(X[:4], verbose=0)
    masks = Pruner("snip", 0.5).masks(wrap(net), batch=(X, Y))
    copy = scoring_copies.scoring_copy(wrap(net))
    np.testing.assert_allclose(copy.predict(X[:4], verbose=0), expected, rtol=1e-6)
    assert sum(int(m.sum()) for m in masks.values()) == int(0.5 * (784 * 32 + 32 * 10))


def test_synflow_scores_a_float64_scoring_copy_in_place_as_it_would_a_float64_clone():
    """`Pruner` makes SynFlow's scoring copy in float64 (one clone, not a float32 copy and then a float64
    clone of it); its scores are those of the float64 clone a float32 model gets."""
    wrapped = wrap(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=3))
    copy = scoring_copies.scoring_copy(wrapped, "float64")
    assert copy.input.dtype == "float64" and {w.dtype.name for w in copy.weights} == {"float64"}
    assert scoring_copies.scoring_copy(wrapped) is not copy  # a float32 copy is another architecture's
    plain = tf_tickets.strip(wrapped)
    criterion, other = criteria.make("synflow"), criteria.make("synflow")
    in_place = criterion.score(copy, [layer.kernel for layer in models.prunable_layers(copy)])
    cloned = other.score(plain, [layer.kernel for layer in models.prunable_layers(plain)])
    float64_copies = tf_keras_autodiff._FLOAT64  # the float64 models SynFlow scored, by model
    assert float64_copies[copy].clone is copy and float64_copies[plain].clone is not plain
    assert all(np.array_equal(a, b) for a, b in zip(in_place, cloned))
    scoring_copies.clear()
    Pruner("synflow", 0.5, criterion_options={"rounds": 2}).masks(wrapped)
    assert ["|float64|" in key for key in scoring_copies._COPIES] == [True]  # its one copy: float64


def test_grasp_scores_a_copy_with_second_order_batch_norm_as_it_would_the_plain_model():
    """GraSP's scoring copy rebuilds Keras's BatchNorm with the closed-form second derivative; eager (first)
    and traced (second) scorings equal GraSP on the plain model, whose BatchNorm is Keras's own."""
    from tf_tickets.backend import keras
    from tf_tickets.models.second_order_batch_norm import SecondOrderBatchNormalization

    net = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=5)
    plain = tf_tickets.strip(wrap(net))
    expected = criteria.make("grasp").score(plain, [layer.kernel for layer in models.prunable_layers(plain)],
                                            batch=(X, Y))
    scoring_copies.clear()
    pruner = Pruner("grasp", 0.9)
    for _ in range(2):
        got = list(pruner.ranking(wrap(net), batch=(X, Y)).by_key().values())
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-3, atol=1e-5 * np.abs(e).max())
    (copy,) = scoring_copies._COPIES.values()
    norms = [layer for layer in copy.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(type(layer) is SecondOrderBatchNormalization for layer in norms)
    assert all(type(layer) is keras.layers.BatchNormalization for layer in plain.layers
               if isinstance(layer, keras.layers.BatchNormalization))
