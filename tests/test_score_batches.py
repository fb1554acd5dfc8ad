"""`score_batches`: the gradient criteria see several class-balanced batches (the gradient's data is an option,
for Lévai & Zombori's data-dependent term on trained weights); one is the references' default."""
import numpy as np
import pytest

from tf_tickets import criteria, models
from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import Pruner, wrap

CLASSES = 3


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n * CLASSES, 8, 8, 1)).astype(np.float32), np.tile(np.arange(CLASSES), n)


def test_snip_sums_its_gradient_over_one_pass_of_each_batch():
    net = models.build("mnist_conv_small", (8, 8, 1), CLASSES, seed=1)
    x, y = data()
    pruner = Pruner("snip", 0.5, score_batches=3, per_class=4)
    batch = pruner.batch(net, (x, y))
    assert batch[0].shape[0] == 3 * 4 * CLASSES and np.array_equal(np.bincount(batch[1]), [12] * CLASSES)
    got = pruner.ranking(wrap(net), batch=batch).by_key()
    kernels = [layer.kernel for layer in models.prunable_layers(net)]
    total = [tf.zeros_like(k) for k in kernels]
    for chunk in range(3):  # the k-th four examples of each class: one class-balanced batch
        idx = np.concatenate([np.flatnonzero(batch[1] == c)[4 * chunk:4 * chunk + 4] for c in range(CLASSES)])
        with tf.GradientTape() as tape:
            logits = net(batch[0][np.sort(idx)], training=True)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(batch[1][np.sort(idx)], logits,
                                                                               from_logits=True))
        total = [t + g for t, g in zip(total, tape.gradient(loss, kernels))]
    for layer, kernel, grad in zip(models.prunable_layers(net), kernels, total):
        np.testing.assert_allclose(got[layer.name], np.abs(kernel.numpy() * grad.numpy()), rtol=1e-4, atol=1e-7)


def test_one_batch_is_the_default_and_the_option_enters_the_identity():
    from tf_tickets.pruning.config import PruningConfig

    assert Pruner("snip").score_batches == 1 and Pruner("snip").scorer.iterations == 1
    assert "score_batches" not in PruningConfig(criterion="snip").to_dict()  # earlier runs keep their identity
    assert PruningConfig(criterion="snip", score_batches=4).to_dict()["score_batches"] == 4
    assert Pruner("magnitude_gradient", score_batches=4).scorer.iterations == 4
    for bad in (0, -1, 1.5, True):
        with pytest.raises(TicketsError, match="score_batches must be a positive integer"):
            Pruner("snip", score_batches=bad)


def test_the_flag(tmp_path, run_main):
    common = ["--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1", "--batch_size=50",
              "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=5it",
              "--method=snip", "--sparsity=0.8"]
    bad = run_main("tf_tickets.train", *common, "--score_batches=0", f"--run_dir={tmp_path / 'bad'}")
    assert bad.returncode == 2 and "score_batches" in bad.stderr and not (tmp_path / "bad").exists()
    good = run_main("tf_tickets.train", *common, "--score_batches=2", f"--run_dir={tmp_path / 'good'}")
    assert good.returncode == 0, good.stderr[-2000:]
    assert '"score_batches": 2' in (tmp_path / "good" / "config.json").read_text()
