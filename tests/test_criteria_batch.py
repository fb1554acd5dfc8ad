"""class_balanced_batch: the first examples of each class, in the order the data yields them."""
import numpy as np
import pytest

from tf_tickets.backend import tf
from tf_tickets.criteria import class_balanced_batch
from tf_tickets.errors import TicketsError

# Example i has feature value i, so the output says which examples were taken.
LABELS = np.array([2, 0, 0, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1, 1, 2, 0, 1, 2, 2, 0])
X = np.arange(len(LABELS), dtype=np.float32).reshape(-1, 1, 1)


def first(per_class, labels=LABELS):
    """Indices of the first `per_class` examples of each class, ordered by class then arrival."""
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(3)])


def sources(x=X, y=LABELS):
    pairs = tf.data.Dataset.from_tensor_slices((x, y))
    return {"numpy": (x, y), "unbatched": pairs, "batched": pairs.batch(3), "repeated": pairs.repeat().batch(4)}


@pytest.mark.parametrize("kind", ["numpy", "unbatched", "batched", "repeated"])
@pytest.mark.parametrize("per_class", [1, 3, 5])
def test_first_arrivals_of_each_class(kind, per_class):
    x, y = class_balanced_batch(sources()[kind], num_classes=3, per_class=per_class)
    expected = first(per_class)
    np.testing.assert_array_equal(x[:, 0, 0], expected)
    np.testing.assert_array_equal(y, LABELS[expected])
    np.testing.assert_array_equal(np.bincount(y, minlength=3), [per_class] * 3)
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (3 * per_class, 1, 1)


def test_stops_on_an_endless_dataset_once_full():
    """Once every class is full the walk stops: an endless generator is pulled only a little further."""
    pulled = []

    def endless():
        i = 0
        while True:
            pulled.append(i)
            yield np.float32(i), np.int64(i % 3)
            i += 1

    data = tf.data.Dataset.from_generator(endless, output_signature=(tf.TensorSpec((), tf.float32),
                                                                     tf.TensorSpec((), tf.int64)))
    x, y = class_balanced_batch(data, num_classes=3, per_class=10)
    np.testing.assert_array_equal(x, np.concatenate([np.arange(c, 30, 3) for c in range(3)]))
    assert len(pulled) < 1000


def test_labels_with_a_trailing_axis_and_float_integers():
    x, y = class_balanced_batch((X, LABELS.reshape(-1, 1).astype(np.float64)), 3, per_class=2)
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 2, 2])


@pytest.mark.parametrize("kind", ["numpy", "batched", "repeated"])
def test_labels_beyond_the_model_classes(kind):
    with pytest.raises(TicketsError, match="^labels go up to 2 but the model has 2 classes: "):
        class_balanced_batch(sources()[kind], num_classes=2, per_class=1)
    with pytest.raises(TicketsError, match="labels must be in"):
        class_balanced_batch((X, LABELS - 1), num_classes=3, per_class=1)


@pytest.mark.parametrize("kind", ["numpy", "unbatched", "batched"])
def test_a_class_short_of_examples_is_named(kind):
    with pytest.raises(TicketsError, match=r"fewer of class\(es\) 1 \(6\) in the data \(20 examples\)"):
        class_balanced_batch(sources()[kind], num_classes=3, per_class=7)
    with pytest.raises(TicketsError, match=r"class\(es\) 3 \(0\), 4 \(0\)"):
        class_balanced_batch(sources()[kind], num_classes=5, per_class=1)


def test_an_endless_dataset_missing_a_class_does_not_hang():
    without_two = LABELS != 2
    data = sources(X[without_two], LABELS[without_two])["repeated"]
    with pytest.raises(TicketsError, match=r"class\(es\) 2 \(0\) in the first 100 examples"):
        class_balanced_batch(data, num_classes=3, per_class=2, max_examples=100)


def test_bad_arguments():
    with pytest.raises(TicketsError, match="per_class must be a positive integer"):
        class_balanced_batch((X, LABELS), 3, per_class=0)
    with pytest.raises(TicketsError, match="num_classes must be a positive integer"):
        class_balanced_batch((X, LABELS), 2.5)
    with pytest.raises(TicketsError, match="same number of examples"):
        class_balanced_batch((X[:5], LABELS), 3)
    with pytest.raises(TicketsError, match="integer class indices"):
        class_balanced_batch((X, LABELS + 0.5), 3)
    with pytest.raises(TicketsError, match="one per example"):
        class_balanced_batch((X, np.eye(3)[LABELS]), 3)
    with pytest.raises(TicketsError, match="must yield"):
        class_balanced_batch(tf.data.Dataset.from_tensor_slices({"image": X, "label": LABELS}), 3)
    with pytest.raises(TicketsError, match="must be a tf.data.Dataset"):
        class_balanced_batch(X, 3)
