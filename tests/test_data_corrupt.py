"""Corruptions: exact counts, seed determinism, pixels permuted within each image, test split untouched."""
import numpy as np
import pytest

from tf_tickets.data import ImageData, corrupt, load
from tf_tickets.errors import TicketsError


def id_data(n=201, num_classes=10, hw=4, channels=3):
    """Images whose pixels are all distinct within an image (channel c = 64*c + position)."""
    position = np.arange(hw * hw).reshape(hw, hw)
    image = np.stack([64 * c + position for c in range(channels)], axis=-1).astype(np.uint8)
    x = np.repeat(image[None], n, axis=0)
    x[:, 0, 0, 0] = np.arange(n) % 256  # make rows distinguishable
    y = np.arange(n, dtype=np.int64) % num_classes
    return ImageData("ids", x, y, x[:7].copy(), y[:7].copy(), num_classes,
                     (0.5,) * channels, (0.25,) * channels)


def test_random_labels_exact_count():
    # all labels 0 among 10**9 classes: a redraw equals the old label with probability 1e-9
    base = id_data(num_classes=10 ** 9)
    base = base.replace(y_train=np.zeros(201, np.int64))
    for fraction, expected in [(0.3, 60), (0.5, 100), (1.0, 201), (0.0, 0)]:
        out = corrupt.random_labels(base, fraction, seed=1)
        assert (out.y_train != 0).sum() == expected == int(round(fraction * 201))
    assert (base.y_train == 0).all()


def test_random_labels_seeds_and_test_split():
    data = load()
    before = data.y_train.copy()
    a, b = corrupt.random_labels(data, 0.5, seed=3), corrupt.random_labels(data, 0.5, seed=3)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert (a.y_train != corrupt.random_labels(data, 0.5, seed=4).y_train).any()
    np.testing.assert_array_equal(data.y_train, before)
    assert a.y_test is data.y_test and a.x_train is data.x_train
    # uniform over all classes: about 1/10 of the redrawn labels equal the true one
    full = corrupt.random_labels(data, 1.0, seed=0)
    assert 0.07 < (full.y_train == data.y_train).mean() < 0.13
    assert np.bincount(full.y_train, minlength=10).min() > 450


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan")])
def test_random_labels_bad_fraction(fraction):
    with pytest.raises(TicketsError, match=r"random_labels fraction must be in \[0, 1\]"):
        corrupt.random_labels(id_data(), fraction)


def sort_pixels(image):
    flat = image.reshape(-1, image.shape[-1])
    return flat[np.lexsort(flat.T[::-1])]


def test_random_pixels():
    data = id_data()
    x_before = data.x_train.copy()
    out = corrupt.random_pixels(data, seed=0)
    assert out.x_train.shape == data.x_train.shape and out.x_train.dtype == np.uint8
    np.testing.assert_array_equal(data.x_train, x_before)
    for i in range(len(data.y_train)):  # each image holds its own pixels, channels kept together
        np.testing.assert_array_equal(sort_pixels(out.x_train[i]), sort_pixels(data.x_train[i]))
    # pixels are distinct within an image, so the permutation can be read off channel 1
    perms = out.x_train[..., 1].reshape(len(out.y_train), -1).astype(int) - 64
    assert len({tuple(p) for p in perms}) > 190  # 16! permutations: independent draws all differ
    assert (perms[0] != perms[1]).any() and (perms != np.arange(16)).any(axis=1).all()
    assert out.x_test is data.x_test and out.y_test is data.y_test
    np.testing.assert_array_equal(out.x_train, corrupt.random_pixels(data, seed=0).x_train)
    assert (out.x_train != corrupt.random_pixels(data, seed=1).x_train).any()


def test_random_pixels_labels():
    data = load()
    mixed = corrupt.random_pixels(data, seed=0)
    assert 0.07 < (mixed.y_train == data.y_train).mean() < 0.13
    kept = corrupt.random_pixels(data, seed=0, randomize_labels=False)
    np.testing.assert_array_equal(kept.y_train, data.y_train)
    np.testing.assert_array_equal(kept.x_train, mixed.x_train)
    assert not np.array_equal(kept.x_train, data.x_train)
    assert (np.sort(kept.x_train.reshape(6000, -1), 1) == np.sort(data.x_train.reshape(6000, -1), 1)).all()


def test_subsample():
    data = id_data(n=201)
    small = corrupt.subsample(data, 0.5, seed=0)
    assert len(small.y_train) == len(small.x_train) == 100 == int(0.5 * 201)
    ids = small.x_train[:, 0, 0, 0].astype(int)
    assert (np.diff(ids) > 0).all()  # original order kept
    np.testing.assert_array_equal(small.x_train, data.x_train[ids])
    np.testing.assert_array_equal(small.y_train, data.y_train[ids])
    np.testing.assert_array_equal(corrupt.subsample(data, 0.5, seed=0).x_train, small.x_train)
    assert not np.array_equal(corrupt.subsample(data, 0.5, seed=1).x_train, small.x_train)
    assert small.x_test is data.x_test and len(data.y_train) == 201
    assert len(corrupt.subsample(data, 1.0).y_train) == 201
    assert len(corrupt.subsample(data, 0.1).y_train) == 20


@pytest.mark.parametrize("fraction, message", [(0.0, r"\(0, 1\]"), (1.01, r"\(0, 1\]"), (0.001, "keeps none")])
def test_subsample_bad_fraction(fraction, message):
    with pytest.raises(TicketsError, match=message):
        corrupt.subsample(id_data(), fraction)
