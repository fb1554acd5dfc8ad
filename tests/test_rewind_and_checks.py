"""Rewinding callbacks and the mask-side sanity checks do exactly what their names promise."""
import numpy as np
import pytest
import tensorflow_model_optimization as tfmot

import tf_tickets
from tf_tickets import budgets, models
from tf_tickets.backend import keras
from tf_tickets.callbacks import checks, rewind
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import Pruner, current_masks, targets, wrap


def data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, n)


def compiled(model):
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), keras.losses.SparseCategoricalCrossentropy(True))
    return model


def test_capture_then_rewind_restores_exactly_the_captured_values(tmp_path):
    model = compiled(tf_tickets.prune(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0), "random", 0.8,
                                      budget="layerwise"))
    masks = current_masks(model)
    x, y = data()
    path = str(tmp_path / "rewind.npz")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep(), rewind.CaptureWeights(3, path)])
    captured, step = rewind.load(path)
    assert step == 3
    assert not any("mask" in key or "threshold" in key for key in captured)
    after_training = rewind.snapshot(model)
    assert any(not np.array_equal(after_training[k], captured[k]) for k in captured)
    callback = rewind.RewindWeights(captured, start_step=int(model.optimizer.iterations.numpy()))
    callback.set_model(model)
    callback.on_train_begin()
    now = rewind.snapshot(model)
    for target in targets(model):
        key = f"{target.layer.name}/{target.attr}"
        kept = masks[target.key] == 1
        np.testing.assert_array_equal(now[key][kept], captured[key][kept])
        assert np.all(now[key][~kept] == 0)
        np.testing.assert_array_equal(target.mask.numpy(), masks[target.key])
    batchnorm = [k for k in captured if "moving_mean" in k]
    assert batchnorm and all(np.array_equal(now[k], captured[k]) for k in batchnorm)
    # A resumed run (past its start step) is not rewound again.
    late = rewind.RewindWeights(rewind.snapshot(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=5)), 0)
    late.set_model(model)
    late.on_train_begin()
    assert all(np.array_equal(rewind.snapshot(model)[k], now[k]) for k in now)


def test_rewind_point_of_another_model_is_refused():
    small = rewind.snapshot(models.build("mnist_conv_small", (28, 28, 1), 10))
    with pytest.raises(TicketsError, match="does not fit the model"):
        rewind.restore(models.build("cifar_resnet_8", (28, 28, 1), 10), small)


def test_layerwise_rearrange_keeps_counts_and_moves_positions():
    dense = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0)
    model = tf_tickets.prune(dense, "magnitude", 0.9)
    before = current_masks(model)
    checks.rearrange_masks(model, seed=1, weights=rewind.snapshot(dense))
    partial = [t.key for t in targets(model) if 0 < before[t.key].sum() < before[t.key].size]
    assert len(partial) >= 8  # global magnitude at 90% leaves most layers partly kept: those must move
    for target in targets(model):
        mask = target.mask.numpy()
        assert mask.sum() == before[target.key].sum()
        assert np.array_equal(mask, before[target.key]) == (target.key not in partial)
        weight = target.weight.numpy()
        assert np.all(weight[mask == 0] == 0)
        # Newly kept positions carry their unmasked initial values, not the zeros the old mask left.
        np.testing.assert_array_equal(weight[mask == 1], dense.get_layer(target.layer.name).kernel.numpy()[mask == 1])


def test_weight_shuffling_keeps_mask_and_multiset_of_kept_values():
    model = tf_tickets.prune(models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0), "random", 0.7,
                             budget="layerwise", seed=3)
    masks = current_masks(model)
    before = {t.key: t.weight.numpy().copy() for t in targets(model)}
    checks.shuffle_weights(model, seed=2)
    for target in targets(model):
        kept = masks[target.key] == 1
        np.testing.assert_array_equal(target.mask.numpy(), masks[target.key])
        w = target.weight.numpy()
        np.testing.assert_array_equal(np.sort(w[kept]), np.sort(before[target.key][kept]))
        assert not np.array_equal(w[kept], before[target.key][kept])
        assert np.all(w[~kept] == 0)


def test_score_inversion_keeps_the_complement_ranking():
    net = models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=0)
    plain = Pruner("magnitude", 0.5, "layerwise").masks(wrap(net))
    inverted = Pruner("magnitude", 0.5, "layerwise", invert=True).masks(wrap(net))
    for key in plain:  # even sizes, continuous weights: the lowest half is exactly the complement
        np.testing.assert_array_equal(inverted[key], 1 - plain[key])
    kernels = {layer.name: np.abs(layer.kernel.numpy()) for layer in models.prunable_layers(net)}
    for key, mask in inverted.items():
        assert kernels[key][mask == 1].max() <= kernels[key][mask == 0].min()


def test_hybrid_masks_are_per_layer_top_magnitude_under_smart_ratio_counts():
    net = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0)
    x, y = data(256)
    compiled(net).fit(x, y, batch_size=32, epochs=1, verbose=0)  # "trained" weights
    masks = Pruner("magnitude", 0.95, "smart_ratio").masks(wrap(net))
    layers = models.prunable_layers(net)
    infos = [budgets.LayerInfo(l.name, tuple(l.kernel.shape), "dense" if isinstance(l, keras.layers.Dense)
                               else "conv") for l in layers]
    counts = budgets.make("smart_ratio").keep_counts(infos, 1 - 0.95, residual=True)
    for layer, count in zip(layers, counts):
        flat = np.abs(layer.kernel.numpy()).ravel()
        expected = np.zeros(flat.size)
        expected[np.argsort(-flat, kind="stable")[:count]] = 1
        np.testing.assert_array_equal(masks[layer.name].ravel(), expected)


def test_global_shuffle_keeps_the_total_and_moves_weights_between_layers(run_main, tmp_path):
    dense = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0)
    model = tf_tickets.prune(dense, "random", 0.9, budget="layerwise", seed=0)
    before = current_masks(model)
    checks.shuffle_masks_globally(model, seed=1, weights=rewind.snapshot(dense))
    after = current_masks(model)
    assert sum(m.sum() for m in after.values()) == sum(m.sum() for m in before.values())
    densities = {k: m.mean() for k, m in after.items()}
    # Every layer kept 10% before; a global permutation gives the small layers other densities.
    assert max(densities.values()) - min(densities.values()) > 0.02
    for target in targets(model):
        mask = target.mask.numpy()
        np.testing.assert_array_equal(target.weight.numpy()[mask == 1],
                                      dense.get_layer(target.layer.name).kernel.numpy()[mask == 1])
    # In the sanity command it is one more check: chosen by name, not run by default.
    root = tmp_path / "grid"
    result = run_main("tf_tickets.sanity", "--model=mnist_conv_small", "--dataset=embedded", "--train_fraction=0.1",
                      "--batch_size=50", "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false",
                      "--training_steps=10it", "--method=random", "--budget=layerwise", "--seeds=0",
                      "--checks=global_shuffle", f"--run_dir={root}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| global rearrange | 1 |" in result.stdout
    masks = np.load(root / "random/sparsity0.9/global_shuffle/seed0/masks.npz")
    plain = np.load(root / "random/sparsity0.9/plain/seed0/masks.npz")
    assert sum(int(masks[k].sum()) for k in masks.files) == sum(int(plain[k].sum()) for k in plain.files)
    assert [int(masks[k].sum()) for k in masks.files] != [int(plain[k].sum()) for k in plain.files]
