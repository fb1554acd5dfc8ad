"""tf.data pipeline: stateless per-epoch order, exact resume, every example once, batches, normalisation."""
import numpy as np
import pytest

from tf_tickets.backend import tf
from tf_tickets.data import ImageData, load, pipeline
from tf_tickets.errors import TicketsError

N, BATCH = 103, 10


def id_data(augment="none", padding=0, n=N, hw=8):
    """Label = example id, so batches can be traced back to examples."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, hw, hw, 3), dtype=np.uint8)
    y = np.arange(n, dtype=np.int64)
    return ImageData("ids", x, y, x[:25].copy(), y[:25].copy(), n, (0.4, 0.5, 0.6), (0.2, 0.25, 0.3),
                     augment=augment, crop_padding=padding)


def batches(ds):
    return [(x.numpy(), y.numpy()) for x, y in ds]


def epochs_of(ds_batches, steps):
    return [ds_batches[i:i + steps] for i in range(0, len(ds_batches), steps)]


def test_steps_per_epoch():
    assert pipeline.steps_per_epoch(103, 10) == 11
    assert pipeline.steps_per_epoch(100, 10) == 10
    assert pipeline.steps_per_epoch(1, 64) == 1
    assert pipeline.steps_per_epoch(50000, 64) == 782


def test_every_example_once_per_epoch_and_partial_batch():
    got = batches(pipeline.train_dataset(id_data(), BATCH, seed=0, start_epoch=0, end_epoch=3, augment=False))
    assert [len(y) for _, y in got] == ([BATCH] * 10 + [3]) * 3  # batches never span epochs
    orders = []
    for epoch in epochs_of(got, 11):
        ids = np.concatenate([y for _, y in epoch])
        assert sorted(ids.tolist()) == list(range(N))
        orders.append(ids)
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    assert not np.array_equal(orders[0], np.arange(N))


def test_deterministic_given_seed():
    data = id_data()
    a = batches(pipeline.train_dataset(data, BATCH, seed=5, end_epoch=2, augment=False))
    b = batches(pipeline.train_dataset(data, BATCH, seed=5, end_epoch=2, augment=False))
    c = batches(pipeline.train_dataset(data, BATCH, seed=6, end_epoch=2, augment=False))
    assert all(np.array_equal(p[1], q[1]) for p, q in zip(a, b))
    assert not all(np.array_equal(p[1], q[1]) for p, q in zip(a, c))


@pytest.mark.parametrize("augment", [True, False])
def test_resume_matches_uninterrupted_run(augment):
    data = id_data("crop_flip", 2)
    whole = batches(pipeline.train_dataset(data, BATCH, seed=7, start_epoch=0, end_epoch=3, augment=augment))
    resumed = batches(pipeline.train_dataset(data, BATCH, seed=7, start_epoch=2, end_epoch=3, augment=augment))
    assert len(whole) == 33 and len(resumed) == 11
    for (x1, y1), (x2, y2) in zip(whole[22:], resumed):
        np.testing.assert_array_equal(y1, y2)
        np.testing.assert_array_equal(x1, x2)


def test_infinite_and_cardinality():
    data = id_data()
    forever = pipeline.train_dataset(data, BATCH, seed=1, start_epoch=1)
    assert forever.cardinality().numpy() < 0  # unknown or infinite
    head = batches(forever.take(22))
    finite = batches(pipeline.train_dataset(data, BATCH, seed=1, start_epoch=1, end_epoch=3))
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(head, finite))
    assert pipeline.train_dataset(data, BATCH, seed=1, end_epoch=4).cardinality().numpy() == 44


def test_normalisation_values():
    data = id_data()
    (x, y), = batches(pipeline.train_dataset(data, N, seed=0, end_epoch=1, augment=False))
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (N, 8, 8, 3)
    expected = (data.x_train[y].astype(np.float32) / 255 - np.array(data.mean)) / np.array(data.std)
    np.testing.assert_allclose(x, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pipeline.normalize(np.full((2, 2, 3), 255, np.uint8), data).numpy()[0, 0],
                               [(1 - 0.4) / 0.2, (1 - 0.5) / 0.25, (1 - 0.6) / 0.3], rtol=1e-6)


def test_eval_dataset_fixed_order():
    data = id_data()
    got = batches(pipeline.eval_dataset(data, 10))
    assert [len(y) for _, y in got] == [10, 10, 5]
    np.testing.assert_array_equal(np.concatenate([y for _, y in got]), data.y_test)
    x = np.concatenate([x for x, _ in got])
    expected = (data.x_test.astype(np.float32) / 255 - np.array(data.mean)) / np.array(data.std)
    np.testing.assert_allclose(x, expected, rtol=1e-5, atol=1e-5)


def test_crop_flip_against_numpy():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (3, 6, 5, 2), dtype=np.uint8)
    offsets, flips = np.array([[0, 0], [4, 1], [2, 4]], np.int32), np.array([0, 1, 1], np.int32)
    out = pipeline.crop_flip(tf.constant(images), 2, tf.constant(offsets), tf.constant(flips)).numpy()
    padded = np.pad(images, [(0, 0), (2, 2), (2, 2), (0, 0)])
    for i, ((dy, dx), flip) in enumerate(zip(offsets, flips)):
        expected = padded[i, dy:dy + 6, dx:dx + 5]
        np.testing.assert_array_equal(out[i], expected[:, ::-1] if flip else expected)


def test_crop_flip_in_pipeline():
    data = id_data("crop_flip", 4)
    plain = pipeline.train_dataset(data, BATCH, seed=3, end_epoch=2, augment=False)
    aug = batches(pipeline.train_dataset(data, BATCH, seed=3, end_epoch=2))
    again = batches(pipeline.train_dataset(data, BATCH, seed=3, end_epoch=2))
    plain = batches(plain)
    assert all(x.shape[1:] == (8, 8, 3) for x, _ in aug)
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(aug, again))  # deterministic
    assert all(np.array_equal(p[1], q[1]) for p, q in zip(aug, plain))  # same order as without it
    assert not all(np.array_equal(p[0], q[0]) for p, q in zip(aug, plain))  # but it does augment
    # one example gets a different augmentation in different epochs
    by_epoch = [{int(i): x[k] for x, y in epoch for k, i in enumerate(y)} for epoch in epochs_of(aug, 11)]
    assert sum(not np.array_equal(by_epoch[0][i], by_epoch[1][i]) for i in range(N)) > N // 2
    # zero padding shows up as the normalised value of a black pixel
    black = (0 - np.array(data.mean)) / np.array(data.std)
    assert np.isclose(np.concatenate([x for x, _ in aug]), black.astype(np.float32)).all(-1).any()


def test_none_augmentation_ignores_flag():
    data = load()
    ds = pipeline.train_dataset(data.replace(x_train=data.x_train[:64], y_train=data.y_train[:64]),
                                32, seed=0, end_epoch=1, augment=True)
    (x, y), _ = batches(ds)
    expected = (data.x_train[:64].astype(np.float32) / 255 - 0.2860) / 0.3530
    assert any(np.allclose(x[0], e, atol=1e-5) for e in expected)


def test_shard_policy():
    data = id_data()
    data_policy = tf.data.experimental.AutoShardPolicy.DATA
    for ds in (pipeline.train_dataset(data, BATCH, 0, end_epoch=1), pipeline.eval_dataset(data, BATCH)):
        assert ds.options().experimental_distribute.auto_shard_policy == data_policy
        assert ds.options().deterministic
    plain = pipeline.train_dataset(data, BATCH, 0, end_epoch=1, shard_options=False)
    assert plain.options().experimental_distribute.auto_shard_policy != data_policy


def test_mirrored_strategy_distributes_it():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    dist = strategy.experimental_distribute_dataset(pipeline.train_dataset(id_data(), BATCH, 0, end_epoch=1))
    assert sum(int(tf.shape(y)[0]) for _, y in dist) == N


@pytest.mark.parametrize("kwargs, message", [(dict(batch_size=0), "batch size"),
                                             (dict(seed=-1), "seed"),
                                             (dict(start_epoch=3, end_epoch=2), "epochs")])
def test_bad_arguments(kwargs, message):
    args = {"batch_size": BATCH, "seed": 0, **kwargs}
    with pytest.raises(TicketsError, match=message):
        pipeline.train_dataset(id_data(), **args)
