"""`tf_tickets.sanity_check` on a user's own Functional model and `tf.data` pipelines (not the registry's)."""
import numpy as np
import pytest

import tf_tickets
from tf_tickets import data
from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError


def user_pipelines():
    fmnist = data.load("embedded")  # real images, fed through the user's own preprocessing and batching
    rng = np.random.default_rng(0)
    keep = rng.choice(len(fmnist.y_train), 1500, replace=False)

    def pipeline(x, y, shuffle):
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        ds = ds.shuffle(len(y), seed=1) if shuffle else ds
        return ds.map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b)).batch(50)

    return (pipeline(fmnist.x_train[keep], fmnist.y_train[keep], True),
            pipeline(fmnist.x_test[:500], fmnist.y_test[:500], False))


def build_model(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x), name="users_net")


def test_sanity_check_on_a_users_model_and_pipelines(tmp_path):
    train_ds, test_ds = user_pipelines()
    report = tf_tickets.sanity_check(build_model, train_ds, test_ds, method="snip", sparsity=0.9,
                                     checks=["random_labels", "rearrange"], seeds=[0, 1], epochs=2, lr=0.05,
                                     run_dir=str(tmp_path / "runs"))
    assert set(report.verdicts()) == {"random labels", "layerwise rearrange"}
    assert all(v in ("uses this information", "does not") for v in report.verdicts().values())
    plain = next(r for r in report.rows if r["check"].startswith("none"))
    assert plain["n"] == 2 and plain["mean"] > 0.5  # the user's net learns the real task
    assert "| random labels | 2 |" in str(report)
    assert (tmp_path / "runs/snip/sparsity0.9/sanity.md").read_text().startswith("| check |")
    # Resumable like the command line: a second call trains nothing and gives the same table.
    results = sorted((tmp_path / "runs").rglob("results.json"))
    before = [p.stat().st_mtime_ns for p in results]
    again = tf_tickets.sanity_check(build_model, train_ds, test_ds, method="snip", sparsity=0.9,
                                    checks=["random_labels", "rearrange"], seeds=[0, 1], epochs=2, lr=0.05,
                                    run_dir=str(tmp_path / "runs"))
    assert [p.stat().st_mtime_ns for p in results] == before and again.rows == report.rows


def test_sanity_check_of_a_partially_trained_procedure_without_a_run_dir():
    train_ds, test_ds = user_pipelines()
    report = tf_tickets.sanity_check(build_model, train_ds, test_ds, method="lr_rewinding", sparsity=0.8,
                                     checks=["shuffle"], seeds=[0], epochs=1)
    assert report.verdicts() == {"weight shuffling": "n/a (one seed)"}
    assert any(r["check"] == "(dense network, for reference)" for r in report.rows)


def test_bad_user_input_is_a_one_line_error():
    train_ds, test_ds = user_pipelines()
    with pytest.raises(TicketsError, match="integer class indices"):
        tf_tickets.sanity_check(build_model, train_ds.map(lambda x, y: (x, tf.one_hot(y, 10))), test_ds)
    with pytest.raises(TicketsError, match="unknown procedure or criterion"):
        tf_tickets.sanity_check(build_model, train_ds, test_ds, method="astrology")
