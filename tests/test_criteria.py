"""Pruning criteria: each score checked against a computation written out here with GradientTape."""
import numpy as np
import pytest

from tf_tickets import criteria
from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError
from tf_tickets.models import build, kernels, prunable_layers

CLASSES = 3
DATA_NEEDING = ["snip", "grasp", "obd", "magnitude_gradient"]


def small():
    """mnist_conv_small on 8x8: two convs, a hidden Dense and the classifier; no BatchNorm."""
    return build("mnist_conv_small", (8, 8, 1), CLASSES, seed=1)


def resnet():
    """cifar_resnet_8 of width 4 on 8x8: BatchNorm, Add and two projection shortcuts."""
    return build("cifar_resnet_8_4", (8, 8, 3), CLASSES, seed=2)


MODELS = {"small": small, "resnet": resnet}


def weights_of(model):
    return [v for layer in prunable_layers(model) for v in kernels(layer)]


def batch_for(model, n_per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_per_class * CLASSES,) + tuple(model.input_shape[1:])).astype(np.float32)
    return x, np.repeat(np.arange(CLASSES), n_per_class)


def loss_of(model, x, y, training=True, temperature=1.0):
    logits = model(x, training=training) / temperature
    return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))


def grads_of(model, x, y, training=True, temperature=1.0):
    ws = weights_of(model)
    with tf.GradientTape() as tape:
        loss = loss_of(model, x, y, training, temperature)
    return [g.numpy() for g in tape.gradient(loss, ws)]


def close(actual, expected, rtol=1e-4):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=rtol, atol=1e-6 * np.abs(e).max())


def score(name, model, batch=None, masks=None, seed=0, **options):
    return criteria.make(name, **options).score(model, weights_of(model), batch=batch, masks=masks, seed=seed)


def test_names_and_make():
    assert criteria.names() == sorted(["random", "magnitude", "snip", "grasp", "synflow", "obd", "magnitude_gradient"])
    assert criteria.make("synflow").rounds == 100 and criteria.make("synflow", rounds=3).rounds == 3
    assert criteria.make("snip").rounds == 1
    assert [criteria.make(n).needs_data for n in DATA_NEEDING] == [True] * 4
    assert not any(criteria.make(n).needs_data for n in ["random", "magnitude", "synflow"])
    assert isinstance(criteria.CRITERIA, type(criteria.CRITERIA)) and "snip" in criteria.CRITERIA
    assert isinstance(criteria.make("obd"), criteria.Criterion)


def test_bad_names_and_options():
    with pytest.raises(TicketsError, match="unknown criterion 'oracle'.*magnitude, magnitude_gradient"):
        criteria.make("oracle")
    with pytest.raises(TicketsError, match="unknown option 'temperature' for criterion 'snip'; known: iterations"):
        criteria.make("snip", temperature=2)
    with pytest.raises(TicketsError, match="unknown option 'rounds' for criterion 'magnitude'; known: none"):
        criteria.make("magnitude", rounds=2)
    for name, options in [("snip", {"iterations": 0}), ("synflow", {"rounds": True}), ("grasp", {"temperature": 0}),
                          ("magnitude_gradient", {"gradient_weight": 1.5}), ("snip", {"iterations": 1.0})]:
        with pytest.raises(TicketsError, match="must be"):
            criteria.make(name, **options)


@pytest.mark.parametrize("name", DATA_NEEDING)
def test_data_needing_criterion_without_batch(name):
    with pytest.raises(TicketsError, match=f"^{name} needs data: pass data="):
        score(name, small())


def test_bad_batches_masks_and_seeds():
    model = small()
    x, y = batch_for(model)
    with pytest.raises(TicketsError, match="^labels go up to 3 but the model has 3 classes: "):
        score("snip", model, (x, y + 1))
    with pytest.raises(TicketsError, match="integer class indices"):
        score("snip", model, (x, y.astype(np.float32)))
    with pytest.raises(TicketsError, match="examples of shape"):
        score("snip", model, (x[:, :4], y))
    with pytest.raises(TicketsError, match="needs at least that many examples"):
        score("snip", model, (x[:2], y[:2]), iterations=3)
    with pytest.raises(TicketsError, match="got 1 masks for 4 weights"):
        score("magnitude", model, masks=[np.ones((3, 3, 1, 8))])
    with pytest.raises(TicketsError, match="seed must be"):
        score("random", model, seed=-1)
    with pytest.raises(TicketsError, match="not a variable of model"):
        criteria.make("magnitude").score(model, weights_of(small()))


def test_magnitude_is_abs_w():
    model = small()
    for s, w in zip(score("magnitude", model), weights_of(model)):
        np.testing.assert_array_equal(s, np.abs(w.numpy()))


def test_random_is_seeded_uniform_and_differs_across_layers_and_seeds():
    model = small()
    a, b, c = score("random", model, seed=3), score("random", model, seed=3), score("random", model, seed=4)
    for x, y, z, w in zip(a, b, c, weights_of(model)):
        assert x.shape == tuple(w.shape) and 0 <= x.min() and x.max() < 1
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)
    flat = [s.ravel()[:72] for s in a]
    assert not any(np.allclose(flat[i], flat[j]) for i in range(4) for j in range(i))


@pytest.mark.parametrize("kind", ["small", "resnet"])
def test_snip_matches_gradient_tape(kind):
    model = MODELS[kind]()
    batch = batch_for(model)
    reference = MODELS[kind]()
    expected = [np.abs(w.numpy() * g) for w, g in zip(weights_of(reference), grads_of(reference, *batch))]
    close(score("snip", model, batch), expected)


def test_snip_iterations_sum_class_balanced_chunks():
    """iterations=2 on 4 per class: chunk 1 holds each class's first two examples, chunk 2 the others,
    each its own forward pass (its own BatchNorm statistics); the gradients add up."""
    model, reference = resnet(), resnet()
    x, y = batch_for(model)
    first = np.array([0, 1, 4, 5, 8, 9])
    second = np.array([2, 3, 6, 7, 10, 11])
    grads = [a + b for a, b in zip(grads_of(reference, x[first], y[first]), grads_of(reference, x[second], y[second]))]
    expected = [np.abs(w.numpy() * g) for w, g in zip(weights_of(reference), grads)]
    close(score("snip", model, (x, y), iterations=2), expected)


def test_masks_are_honoured():
    model = small()
    batch = batch_for(model)
    rng = np.random.default_rng(5)
    masks = [(rng.random(tuple(w.shape)) < 0.5).astype(np.float32) for w in weights_of(model)]
    reference = small()
    for w, m in zip(weights_of(reference), masks):
        w.assign(w.numpy() * m)
    expected = [np.abs(w.numpy() * g) for w, g in zip(weights_of(reference), grads_of(reference, *batch))]
    close(score("snip", model, batch, masks=masks), expected)
    for name in criteria.names():
        scores = score(name, small(), batch, masks=masks)
        for s, m in zip(scores, masks):
            assert np.all(s[m == 0] == 0), name
            assert np.any(s[m == 1] != 0), name


def test_grasp_matches_hessian_gradient_product():
    model = resnet()
    x, y = batch_for(model)
    original = model.get_layer("classifier").kernel.numpy()
    scores = score("grasp", model, (x, y), seed=7)
    reinitialised = model.get_layer("classifier").kernel.numpy()
    assert not np.allclose(reinitialised, original)
    fan_in, fan_out = original.shape
    assert 0.6 < reinitialised.std() / np.sqrt(2 / (fan_in + fan_out)) < 1.4

    reference = resnet()
    reference.get_layer("classifier").kernel.assign(reinitialised)
    ws = weights_of(reference)
    halves = [(x[:6], y[:6]), (x[6:], y[6:])]
    g = [sum(parts) for parts in zip(*[grads_of(reference, hx, hy, temperature=200.0) for hx, hy in halves])]
    hg = [0.0] * len(ws)
    for hx, hy in halves:
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = loss_of(reference, hx, hy, temperature=200.0)
            z = sum(tf.reduce_sum(tf.constant(gi) * gr) for gi, gr in zip(g, inner.gradient(loss, ws)))
        hg = [a + b.numpy() for a, b in zip(hg, outer.gradient(z, ws))]
    close(scores, [w.numpy() * h for w, h in zip(ws, hg)], rtol=1e-3)
    assert any((s < 0).any() for s in scores) and any((s > 0).any() for s in scores)

    again = resnet()
    np.testing.assert_array_equal(score("grasp", again, (x, y), seed=7)[-1], scores[-1])
    assert not np.allclose(score("grasp", resnet(), (x, y), seed=8)[-1], scores[-1])


def test_synflow_matches_abs_network_on_ones():
    """Every weight (BatchNorm's statistics too) made positive, BatchNorm in inference mode, R = sum of the
    outputs on an all-ones input; float32 here, float64 in the criterion."""
    rng = np.random.default_rng(9)
    values = [rng.normal(size=v.shape).astype(np.float32) for v in resnet().get_weights()]
    model, reference = resnet(), resnet()
    model.set_weights(values)
    reference.set_weights([np.abs(v) for v in values])
    ws = weights_of(reference)
    with tf.GradientTape() as tape:
        r = tf.reduce_sum(reference(tf.ones((1, 8, 8, 3)), training=False))
    expected = [np.abs(w.numpy() * g.numpy()) for w, g in zip(ws, tape.gradient(r, ws))]
    scores = score("synflow", model)
    close(scores, expected)
    assert scores[0].dtype == np.float64
    for v, w in zip(values, model.get_weights()):  # the model given keeps its signs
        np.testing.assert_array_equal(v, w)


def test_synflow_rounds_reuse_the_clone_and_follow_the_masks():
    criterion = criteria.make("synflow", rounds=2)
    model = small()
    ws = weights_of(model)
    first = criterion.score(model, ws)
    masks = [(s >= np.median(s)).astype(np.float32) for s in first]
    second = criterion.score(model, ws, masks=masks)
    other = small()
    expected = criteria.make("synflow").score(other, weights_of(other), masks=masks)
    close(second, expected, rtol=1e-10)
    assert not all(np.allclose(a, b) for a, b in zip(first, second))


def test_obd_is_half_w_squared_times_mean_squared_example_gradient():
    model, reference = resnet(), resnet()
    x, y = batch_for(model)
    squares = [np.zeros(tuple(w.shape)) for w in weights_of(reference)]
    for i in range(len(y)):
        for s, g in zip(squares, grads_of(reference, x[i:i + 1], y[i:i + 1], training=False)):
            s += g.astype(np.float64) ** 2
    expected = [0.5 * w.numpy() ** 2 * s / len(y) for w, s in zip(weights_of(reference), squares)]
    close(score("obd", model, (x, y)), expected)


def test_magnitude_gradient_blends_magnitude_and_snip():
    batch = batch_for(small())
    flat = lambda scores: np.concatenate([s.ravel() for s in scores])  # noqa: E731
    magnitude, snip = flat(score("magnitude", small())), flat(score("snip", small(), batch))
    assert not criteria.make("magnitude_gradient", gradient_weight=0).needs_data
    only_magnitude = flat(score("magnitude_gradient", small(), gradient_weight=0.0))
    only_snip = flat(score("magnitude_gradient", small(), batch, gradient_weight=1.0))
    np.testing.assert_allclose(only_magnitude, magnitude / magnitude.mean(), rtol=1e-6)
    np.testing.assert_allclose(only_snip, snip / snip.mean(), rtol=1e-5)
    half = len(magnitude) // 2
    assert set(np.argsort(only_magnitude)[half:]) == set(np.argsort(magnitude)[half:])
    assert set(np.argsort(only_snip)[half:]) == set(np.argsort(snip)[half:])
    blend = flat(score("magnitude_gradient", small(), batch, gradient_weight=0.25))
    np.testing.assert_allclose(blend, 0.75 * magnitude / magnitude.mean() + 0.25 * snip / snip.mean(), rtol=1e-5)


def test_scores_are_deterministic():
    batch = batch_for(resnet())
    for name in ["snip", "grasp", "obd", "synflow"]:
        a, b = score(name, resnet(), batch, seed=1), score(name, resnet(), batch, seed=1)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_mixed_precision_model_and_no_global_state_changed():
    policy, floatx = keras.mixed_precision.global_policy().name, keras.backend.floatx()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build("cifar_resnet_8_4", (8, 8, 3), CLASSES, seed=2)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    batch = batch_for(model)
    masks = [np.ones(tuple(w.shape), np.float32) for w in weights_of(model)]
    for name in criteria.names():
        scores = score(name, model, batch, masks=masks)
        assert all(np.isfinite(s).all() and s.shape == tuple(w.shape) for s, w in zip(scores, weights_of(model)))
        assert any(np.any(s != 0) for s in scores), name
    assert keras.mixed_precision.global_policy().name == policy and keras.backend.floatx() == floatx
