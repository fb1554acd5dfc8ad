"""Data-dependent lottery tickets (Lévai & Zombori): any criterion ranks the trained weights of a
partially-trained procedure, scored on the data its pruning step sees."""
import numpy as np
import pytest

from tf_tickets import criteria, data, models, procedures
from tf_tickets.backend import keras, tf
from tf_tickets.data import corrupt
from tf_tickets.pruning import Pruner, wrap
from tf_tickets.runs import RunSpec
from tf_tickets.training.config import TrainConfig

TINY = ["--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1", "--batch_size=50", "--lr=0.05",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=15it",
        "--levels=2", "--sparsity=0.9", "--seeds=0", "--checks="]


def final_masks(root, procedure):
    with np.load(root / procedure / "sparsity0.9/plain/seed0/masks.npz") as archive:
        return {k: archive[k] for k in archive.files}


def test_lottery_ranked_by_magnitude_gradient_with_weight_zero_is_the_magnitude_ticket(tmp_path, run_main):
    root = tmp_path / "grid"
    plain = run_main("tf_tickets.sanity", *TINY, "--method=lottery", f"--run_dir={root}")
    assert plain.returncode == 0, plain.stderr[-2000:]
    blended = run_main("tf_tickets.sanity", *TINY, "--procedure=lottery", "--criterion=magnitude_gradient",
                       "--method_options=gradient_weight=0", f"--run_dir={root}")
    assert blended.returncode == 0, blended.stderr[-2000:]
    assert "lottery:magnitude_gradient at sparsity 0.9" in blended.stdout  # the table names the criterion
    a, b = final_masks(root, "lottery"), final_masks(root, "lottery-magnitude_gradient")
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
    # Both rank the same shared dense pretraining: one pretrain run for the two procedures.
    assert [p.name for p in (root / "pretrain" / "clean").iterdir()] == ["seed0"]
    # With the default weight (0.5) the gradient term changes the ticket.
    mixed = run_main("tf_tickets.sanity", *TINY, "--method=lottery:magnitude_gradient", f"--run_dir={tmp_path / 'g2'}")
    assert mixed.returncode == 0, mixed.stderr[-2000:]
    c = final_masks(tmp_path / "g2", "lottery-magnitude_gradient")
    assert any(not np.array_equal(a[k], c[k]) for k in a)


def trained_net():
    fmnist = corrupt.subsample(data.load("embedded"), 0.1, seed=0)
    net = models.build("mnist_lenet_40_20", fmnist.input_shape, fmnist.num_classes, seed=0)
    net.compile(keras.optimizers.SGD(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    net.fit(fmnist.x_train.astype(np.float32) / 255, fmnist.y_train, batch_size=50, epochs=1, verbose=0)
    return net, fmnist


def test_blended_masks_follow_the_blended_ranking():
    net, fmnist = trained_net()
    x = (fmnist.x_train[:400].astype(np.float32) / 255)
    y = fmnist.y_train[:400]
    masks = Pruner("magnitude_gradient", 0.9, "global", criterion_options={"gradient_weight": 0.5}).masks(
        wrap(net), data=(x, y))
    # Independently: the class-balanced batch, d(mean CE)/dw in training mode, each term over its global mean.
    bx, by = criteria.class_balanced_batch((x, y), 10, 10)
    layers = models.prunable_layers(net)
    with tf.GradientTape() as tape:
        logits = net(bx, training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=by, logits=logits))
    grads = tape.gradient(loss, [l.kernel for l in layers])
    w = [np.abs(l.kernel.numpy()).ravel() for l in layers]
    wg = [np.abs(l.kernel.numpy() * g.numpy()).ravel() for l, g in zip(layers, grads)]
    importance = 0.5 * np.concatenate(w) / np.concatenate(w).mean() + 0.5 * np.concatenate(wg) / np.concatenate(wg).mean()
    keep = int(importance.size * (1 - 0.9))  # the global budget keeps int(N * density)
    expected = np.zeros(importance.size)
    expected[np.argsort(-importance, kind="stable")[:keep]] = 1
    got = np.concatenate([masks[l.name].ravel() for l in layers])
    assert got.sum() == keep
    assert np.mean(got == expected) > 0.9999  # equal up to float ties at the threshold
    magnitude = Pruner("magnitude", 0.9, "global").masks(wrap(net))
    assert np.concatenate([magnitude[l.name].ravel() for l in layers]).tolist() != got.tolist()


def test_random_labels_change_the_blended_masks_but_not_the_magnitude_ones():
    net, fmnist = trained_net()
    clean = (fmnist.x_train.astype(np.float32) / 255, fmnist.y_train)
    noisy_data = corrupt.random_labels(fmnist, 1.0, seed=0)
    noisy = (noisy_data.x_train.astype(np.float32) / 255, noisy_data.y_train)
    for criterion, should_change in (("magnitude_gradient", True), ("magnitude", False)):
        pruner = Pruner(criterion, 0.9, "global")
        a, b = pruner.masks(wrap(net), data=clean), pruner.masks(wrap(net), data=noisy)
        assert any(not np.array_equal(a[k], b[k]) for k in a) == should_change, criterion


def test_every_partially_trained_procedure_takes_a_criterion_and_its_data_check():
    base = RunSpec("mnist_conv_small", "embedded", TrainConfig(training_steps="30it"))
    for name in ("lottery", "lottery_one_shot", "lr_rewinding", "fine_tuning", "obd", "hybrid"):
        procedure = procedures.make(f"{name}:magnitude_gradient", base, levels=2)
        assert procedure.name == f"{name}:magnitude_gradient"
        stages = procedure.stages(0.9, seed=0, check="random_labels")
        ticket = stages[-1].spec
        assert ticket.pruning.criterion == "magnitude_gradient"
        assert ticket.resolved("/grid").identity()["corrupt"] == "random_labels"  # its scoring batch comes from corrupted data
        assert stages[0].name == "pretrain/random_labels/seed0"
        assert stages[-1].name.startswith(f"{name}-magnitude_gradient/")
    with pytest.raises(Exception, match="only a partially-trained procedure"):
        procedures.make("snip:magnitude", base)
