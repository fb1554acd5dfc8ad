"""The closed-form second derivative of training-mode BatchNorm equals TensorFlow's own, and nothing of the
layer's first-order behaviour changes."""
import warnings

import numpy as np
import pytest

from tf_tickets.backend import keras, tf
from tf_tickets.models.second_order_batch_norm import SecondOrderBatchNormalization, second_derivative


def network(norm, dtype, seed=0, **bn_options):
    """conv -> BatchNorm -> ReLU -> conv -> BatchNorm -> pool -> Dense: kernels before and after each BatchNorm,
    so the second derivative reaches it from both sides (no conv bias: BatchNorm cancels it)."""
    inputs = keras.Input((6, 6, 2), dtype="float32" if dtype.startswith("mixed") else dtype)
    init = lambda k: keras.initializers.GlorotNormal(seed=seed + k)  # noqa: E731
    x = keras.layers.Conv2D(3, 3, padding="same", use_bias=False, kernel_initializer=init(0), dtype=dtype)(inputs)
    x = norm(dtype=dtype, epsilon=1e-3, beta_initializer=keras.initializers.RandomNormal(seed=seed + 1),
             gamma_initializer=keras.initializers.RandomNormal(1.0, 0.5, seed=seed + 2), **bn_options)(x)
    x = keras.layers.ReLU(dtype=dtype)(x)
    x = keras.layers.Conv2D(4, 3, use_bias=False, kernel_initializer=init(3), dtype=dtype)(x)
    x = norm(dtype=dtype, momentum=0.5, epsilon=1e-5, **bn_options)(x)  # the zoo's epsilon, as given (not raised)
    x = keras.layers.GlobalAveragePooling2D(dtype=dtype)(x)
    return keras.Model(inputs, keras.layers.Dense(3, kernel_initializer=init(4), dtype="float32")(x))


def pair(dtype, **bn_options):
    stock = network(keras.layers.BatchNormalization, dtype, **bn_options)
    ours = network(SecondOrderBatchNormalization, dtype, **bn_options)
    ours.set_weights(stock.get_weights())
    return stock, ours


def data(dtype, n=5):
    rng = np.random.default_rng(1)
    return tf.constant(rng.normal(1.0, 2.0, (n, 6, 6, 2)).astype(dtype)), tf.constant(np.arange(n) % 3)


def loss(model, x, y):
    logits = model(x, training=True)  # float32 from the float32 Dense of a mixed-precision network
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


def directions(model):
    """The fixed v of `hessian_products`, one array per trainable weight."""
    rng = np.random.default_rng(2)
    return [rng.normal(size=w.shape) for w in model.trainable_weights]


def hessian_products(model, x, y):
    """d<v, dL/dw>/d(w, x) for every trainable weight w (kernels, gamma, beta: dgamma and dbeta take part too)
    and the input, v = `directions(model)`: a Hessian-vector product through every input of the fused
    gradient."""
    weights = model.trainable_weights
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            value = loss(model, x, y)
        grads = inner.gradient(value, weights)
        z = tf.add_n([tf.cast(tf.reduce_sum(tf.cast(v, g.dtype) * g), tf.float64)
                      for v, g in zip(directions(model), grads)])
    return outer.gradient(z, weights + [x])


def second_order(model, x, y, traced=False):
    run = tf.function(hessian_products, autograph=False) if traced else hessian_products
    return [g.numpy() for g in run(model, x, y)]


def explicit_batch_norm_gradient(dy, x, gamma, epsilon):
    """(dx, dgamma, dbeta) of y = gamma (x - mean) / sqrt(var + epsilon) + beta by autodiff of plain ops (not
    `tf.nn.moments`: its stop_gradient on the mean leaves the first derivative right but not the second)."""
    with tf.GradientTape() as tape:
        tape.watch([x, gamma])
        mean = tf.reduce_mean(x, [0, 1, 2])
        variance = tf.reduce_mean(tf.square(x - mean), [0, 1, 2])
        y = gamma * (x - mean) * tf.math.rsqrt(variance + epsilon)
    dx, dgamma = tape.gradient(y, [x, gamma], output_gradients=dy)
    return dx, dgamma, tf.reduce_sum(dy, [0, 1, 2])


def test_closed_form_equals_autodiff_of_the_gradient_in_float64():
    """The formulas themselves, in float64 (the fused kernels have no float64): the derivative of BatchNorm's
    gradient with respect to dy, x and gamma, every adjoint non-zero."""
    rng = np.random.default_rng(3)
    t = lambda *shape, loc=0.0: tf.constant(rng.normal(loc, 2.0, shape))  # noqa: E731
    x, dy, gamma, a = t(4, 3, 5, 6, loc=1.0), t(4, 3, 5, 6), t(6), t(4, 3, 5, 6)
    a_gamma, a_beta = t(6), t(6)
    epsilon = 1e-3
    with tf.GradientTape() as tape:
        tape.watch([dy, x, gamma])
        dx, dgamma, dbeta = explicit_batch_norm_gradient(dy, x, gamma, epsilon)
        z = tf.reduce_sum(a * dx) + tf.reduce_sum(a_gamma * dgamma) + tf.reduce_sum(a_beta * dbeta)
    expected = tape.gradient(z, [dy, x, gamma])
    mean, variance = tf.nn.moments(x, [0, 1, 2])
    got = second_derivative(a, a_gamma, a_beta, dy, x, gamma, mean, variance, dgamma, dbeta,
                            tf.constant(4 * 3 * 5, tf.float64), epsilon)
    for e, g in zip(expected, got):
        assert np.abs(e.numpy()).max() > 0
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-10, atol=1e-12 * np.abs(e.numpy()).max())


@pytest.mark.parametrize("options", [{}, {"center": False, "scale": False}])
def test_second_derivative_equals_tensorflows_in_float32(options):
    stock, ours = pair("float32", **options)
    assert all(layer.fused for layer in ours.layers if isinstance(layer, SecondOrderBatchNormalization))
    x, y = data("float32")
    expected, got = second_order(stock, x, y), second_order(ours, x, y)
    assert len(got) == len(ours.trainable_weights) + 1
    for e, g in zip(expected, got):
        assert np.abs(e).max() > 0
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5 * np.abs(e).max())


def test_second_derivative_traced_and_in_mixed_float16():
    for dtype, rtol in (("float32", 1e-4), ("mixed_float16", 3e-2)):
        stock, ours = pair(dtype)
        x, y = data("float32")
        expected = second_order(stock, x, y)
        for got in (second_order(ours, x, y), second_order(ours, x, y, traced=True)):
            for e, g in zip(expected, got):
                np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * np.abs(e).max())


def test_outputs_gradients_and_moving_averages_are_keras_own():
    stock, ours = pair("float32")
    x, y = data("float32", n=8)
    grads = []
    for model in (stock, ours):
        with tf.GradientTape() as tape:
            value = loss(model, x, y)
        grads.append([g.numpy() for g in tape.gradient(value, model.trainable_weights)])
    for e, g in zip(*grads):
        np.testing.assert_array_equal(g, e)  # the same fused kernels, forward and backward
    for e, g in zip(stock.get_weights(), ours.get_weights()):  # moving mean and variance moved alike
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ours(x, training=False).numpy(), stock(x, training=False).numpy())
    rebuilt = SecondOrderBatchNormalization.from_config(ours.layers[2].get_config())
    assert rebuilt.get_config() == ours.layers[2].get_config()


def mlp(norm, seed=0):
    """Dense -> BatchNorm of a 2-D input (never fused) -> tanh -> Dense, float64: smooth, so finite
    differences of the gradient can check the second derivative."""
    inputs = keras.Input((5,), dtype="float64")
    x = keras.layers.Dense(4, kernel_initializer=keras.initializers.GlorotNormal(seed), dtype="float64")(inputs)
    x = norm(dtype="float64", gamma_initializer=keras.initializers.RandomNormal(1.0, 0.5, seed=seed + 1),
             beta_initializer=keras.initializers.RandomNormal(seed=seed + 2))(x)
    x = keras.layers.Activation("tanh", dtype="float64")(x)
    return keras.Model(inputs, keras.layers.Dense(3, dtype="float64",
                                                  kernel_initializer=keras.initializers.GlorotNormal(seed + 3))(x))


def test_unfused_second_derivative_is_right_where_keras_own_is_not():
    """Keras's unfused BatchNorm takes its variance from `tf.nn.moments`, whose stop_gradient on the mean makes
    the second derivative wrong; ours matches finite differences of the gradient."""
    stock, ours = mlp(keras.layers.BatchNormalization), mlp(SecondOrderBatchNormalization)
    ours.set_weights(stock.get_weights())
    assert not any(layer.fused for layer in ours.layers if isinstance(layer, SecondOrderBatchNormalization))
    rng = np.random.default_rng(4)
    x, y = tf.constant(rng.normal(size=(7, 5))), tf.constant(np.arange(7) % 3)
    v = directions(ours)

    def gradient(model, shift):
        for w, start, d in zip(model.trainable_weights, start_values, v):
            w.assign(start + shift * d)
        with tf.GradientTape() as tape:
            value = loss(model, x, y)
        return [g.numpy() for g in tape.gradient(value, model.trainable_weights)]

    start_values = [w.numpy() for w in ours.trainable_weights]
    epsilon = 1e-5
    finite = [(a - b) / (2 * epsilon) for a, b in zip(gradient(ours, epsilon), gradient(ours, -epsilon))]
    gradient(ours, 0.0)

    scale = max(np.abs(f).max() for f in finite)
    for f, h in zip(finite, second_order(ours, x, y)[:-1]):  # the last: with respect to the input
        np.testing.assert_allclose(h, f, rtol=1e-6, atol=1e-8 * scale)
    assert any(np.abs(f - h).max() > 1e-3 * scale for f, h in zip(finite, second_order(stock, x, y)[:-1]))


def test_grasp_warns_of_an_unfused_keras_batch_norm_but_not_of_its_scoring_copy():
    from tf_tickets import criteria, pruning

    net = mlp(keras.layers.BatchNormalization)
    weights = [layer.kernel for layer in net.layers if isinstance(layer, keras.layers.Dense)]
    batch = (np.random.default_rng(5).normal(size=(6, 5)), np.arange(6) % 3)
    with pytest.warns(RuntimeWarning, match=r"unfused BatchNormalization \(batch_normalization"):
        criteria.make("grasp").score(net, weights, batch=batch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pruning.Pruner("grasp", 0.5).masks(pruning.wrap(net), batch=batch)
