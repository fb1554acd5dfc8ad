"""The run path and the rest of the API on a Keras 3 model (TensorFlow backend, in this process beside tf_keras):
`sanity_check`, `jackpot.search`, `combine_masks` and `overlap` (tests/keras3_run_checks.py, which
tests/test_keras3_runs_backends.py runs on JAX and PyTorch), the same combined masks as the tf_keras path for
the same weights, callbacks written once for both Kerases, and the NumPy batches Keras 3 runs train on."""
import numpy as np
import pytest

import tf_tickets
from tests import keras3_run_checks as checks
from tf_tickets import TicketsError
from tf_tickets.backend import keras as tf_keras, tf
from tf_tickets.callbacks import binding, rewind
from tf_tickets.data import batches, pipeline
from tf_tickets.data import load as load_data
from tf_tickets.pruning import policies, policy_names
from tf_tickets.pruning.keras3 import policies as keras3_policies

keras = checks.keras


def test_sanity_check_jackpot_combine_and_overlap_on_keras3(tmp_path):
    assert keras.backend.backend() == "tensorflow"
    runs = checks.check_sanity_check(str(tmp_path / "grid"))
    checks.check_jackpot_search()
    checks.check_combine_masks_and_overlap(runs, str(tmp_path / "overlap"), command=False)
    checks.check_bad_input_is_one_line(str(tmp_path / "bad"))


def twins(seed):
    """The same small MLP in tf_keras and Keras 3, weights drawn by NumPy."""
    found = []
    for module in (tf_keras, keras):
        inputs = module.Input((12,))
        x = module.layers.Dense(16, activation="relu", name="hidden")(inputs)
        model = module.Model(inputs, module.layers.Dense(4, name="classifier")(x))
        rng = np.random.default_rng(seed)
        for weight in model.weights:
            weight.assign(rng.normal(0, 0.3, tuple(weight.shape)).astype(np.float32))
        found.append(model)
    return found


def test_combined_masks_of_keras3_siblings_are_the_tf_keras_paths():
    tf_keras_models, keras3_models = zip(*(twins(seed) for seed in (1, 2, 3)))
    for op in ("union", "intersection"):
        expected = tf_tickets.combine_masks(list(tf_keras_models), op, sparsity=0.7, budget="layerwise")
        got = tf_tickets.combine_masks(list(keras3_models), op, sparsity=0.7, budget="layerwise")
        assert list(got) == list(expected)
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    with pytest.raises(TicketsError, match="mix tf_keras and Keras 3"):
        tf_tickets.combine_masks([tf_keras_models[0], keras3_models[1]], "union", sparsity=0.7)


@pytest.mark.parametrize("module", [tf_keras, keras], ids=["tf_keras", "keras3"])
def test_a_callback_written_once_serves_either_keras_handed_to_fit_directly(tmp_path, module):
    """`rewind.CaptureWeights(step, path)`, made without saying which Keras, saves the weights after that step
    inside tf_keras' `fit` and inside Keras 3's; once bound to one Keras it refuses the other."""
    model = twins(0)[0 if module is tf_keras else 1]
    model.compile(module.optimizers.SGD(0.1), module.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.random.default_rng(0).normal(size=(40, 12)).astype(np.float32), np.arange(40) % 4
    capture = rewind.CaptureWeights(2, str(tmp_path / "step2.npz"))
    model.fit(x, y, batch_size=10, epochs=1, callbacks=[capture], verbose=0, shuffle=False)
    assert isinstance(capture, module.callbacks.Callback)
    saved, step = rewind.load(str(tmp_path / "step2.npz"))
    assert step == 2 and not np.array_equal(saved["hidden/kernel"], rewind.snapshot(model)["hidden/kernel"])
    other = keras if module is tf_keras else tf_keras
    with pytest.raises(ValueError, match="bound to another Keras"):
        binding.bind(capture, other)


def test_policy_names_are_the_ones_each_keras_knows():
    assert policy_names.NAMES.names() == policies.POLICIES.names()
    assert set(keras3_policies.POLICIES.names()) == set(policy_names.NAMES.names()) - {"xnnpack_1x1"}


def test_numpy_batches_are_resumable_at_any_epoch_and_augment_as_the_pipeline_does():
    """Keras 3 runs train on NumPy batches: batch i of a run started at epoch k is batch i of epoch k of any run
    with that seed (a resumed run sees an uninterrupted one's batches); the last partial batch of an epoch is
    kept; crop-and-flip is the tf.data pipeline's for the same offsets and flips. The order itself is NumPy's,
    not the pipeline's (a Keras 3 run and a tf_keras run of one seed see other batches)."""
    data = load_data("embedded")
    data = data.replace(x_train=data.x_train[:250], y_train=data.y_train[:250], augment="crop_flip", crop_padding=2)
    whole = batches.TrainBatches(data, 64, seed=3, start_epoch=0, end_epoch=3)
    later = batches.TrainBatches(data, 64, seed=3, start_epoch=2, end_epoch=3)
    assert len(whole) == 12 and len(later) == 4 and [len(b[1]) for b in later] == [64, 64, 64, 58]
    for i in range(4):
        np.testing.assert_array_equal(later[i][0], whole[8 + i][0])
        np.testing.assert_array_equal(later[i][1], whole[8 + i][1])
    assert sorted(np.concatenate([whole[i][1] for i in range(4)])) == sorted(data.y_train)  # an epoch: each once
    tf_order = next(iter(pipeline.train_dataset(data, 250, 3, augment=False)))[1].numpy()
    numpy_order = batches.TrainBatches(data, 250, 3, augment=False)[0][1]
    assert not np.array_equal(tf_order, numpy_order)

    images = data.x_train[:6]
    offsets = np.array([[0, 0], [4, 4], [1, 3], [2, 0], [0, 4], [3, 1]])
    flips = np.array([0, 1, 1, 0, 1, 0])
    expected = pipeline.crop_flip(tf.constant(images), 2, tf.constant(offsets, tf.int32), tf.constant(flips, tf.int32))
    np.testing.assert_array_equal(batches.crop_flip(images, 2, offsets, flips), expected.numpy())
