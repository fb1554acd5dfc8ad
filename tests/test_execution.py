"""Several training steps per call of the train function (`steps_per_execution`): chosen so that every
callback stays exact, and giving the same run as one step per call."""
import dataclasses

import numpy as np
import pytest

from tf_tickets import data, masks, models, runner
from tf_tickets.backend import keras, tf, tfmot
from tf_tickets.callbacks import PruneAtStep, StopAtStep, rewind
from tf_tickets.callbacks.restriction import ShortRestriction
from tf_tickets.data import corrupt
from tf_tickets.pruning import wrap
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.runs import FromCriterion, Outputs, RunSpec
from tf_tickets.training import execution, loop
from tf_tickets.training.config import TrainConfig
from tf_tickets.training.execution import auto_limit, steps_per_execution
from tf_tickets.training.run_dir import RunDir


class UsersOwn(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


def test_the_most_steps_per_call_that_keep_callbacks_exact():
    model = wrap(models.build("mnist_lenet_40_20", (28, 28, 1), 10))
    assert steps_per_execution([StopAtStep(200)], model, 100, 0, 32) == 32  # at an epoch's end: the limit
    assert steps_per_execution([StopAtStep(194)], model, 97, 0, 32) == 32  # an epoch of a prime length too
    assert steps_per_execution([StopAtStep(200)], model, 20, 0, 32) == 20  # no more than an epoch
    assert steps_per_execution([StopAtStep(250)], model, 100, 0, 32) == 25  # 250: mid-epoch, 50 in
    assert steps_per_execution([StopAtStep(230)], model, 100, 0, 32) == 30  # 30 in: need not divide 100
    assert steps_per_execution([StopAtStep(230), PruneAtStep(118, None)], model, 100, 0, 32) == 6
    assert steps_per_execution([StopAtStep(200), PruneAtStep(37, None)], model, 100, 0, 32) == 1
    assert steps_per_execution([StopAtStep(550)], model, 100, 40, 32) == 10  # epochs start at 40 + 100 k
    assert steps_per_execution([StopAtStep(200)], model, 100, 0, 1) == 1
    assert steps_per_execution([UsersOwn()], model, 100, 0, 32) == 1  # a callback that does not say: every step
    assert steps_per_execution([ShortRestriction()], model, 100, 0, 32) == 1
    fixed = tfmot.sparsity.keras.UpdatePruningStep()
    assert steps_per_execution([fixed], model, 100, 0, 32) == 32  # masks held fixed: the step count is moot
    gradual = wrap(models.build("mnist_lenet_40_20", (28, 28, 1), 10),
                   schedule_for=lambda layer: tfmot.sparsity.keras.PolynomialDecay(0.0, 0.5, 0, 100, frequency=10))
    assert steps_per_execution([fixed], gradual, 100, 0, 32) == 1
    # "auto" lets several steps share a call only without convolutions (slower there on a CPU, measured).
    assert auto_limit(model) == execution.AUTO_LIMIT > 1
    assert auto_limit(wrap(models.build("cifar_resnet_8", (28, 28, 1), 10))) == 1


def test_a_run_with_several_steps_per_call_is_the_same_run(tmp_path):
    fmnist = corrupt.subsample(data.load("embedded"), 0.2, seed=0)  # 1,200 images: 20 steps of 60 an epoch
    # The steps acted at (capture 12, prune 46, stop 78) are 12, 6 and 18 into their epochs: 6 steps per
    # call, so each epoch of 20 ends with a call of 2, cut short by Keras.
    train = TrainConfig(training_steps="78it", batch_size=60, lr=0.05, lr_schedule="step", milestones=("40it",),
                        validate_every_epoch=False, steps_per_execution=1)
    spec = RunSpec("mnist_lenet_300_100", "embedded", train, PruningConfig("magnitude", sparsity=0.8),
                   masks=FromCriterion(at="46it"), outputs=Outputs(capture_at="12it", save_weights=True))
    results = {}
    for per_call in (1, 0):  # one step per call, then automatic
        run = dataclasses.replace(spec, train=dataclasses.replace(train, steps_per_execution=per_call))
        results[per_call] = runner.execute(run, fmnist, RunDir(str(tmp_path / f"per_call{per_call}")))
    assert results[1]["steps_per_execution"] == 1 and results[0]["steps_per_execution"] == 6
    assert results[0]["steps"] == results[1]["steps"] == 78
    one, auto = tmp_path / "per_call1", tmp_path / "per_call0"
    got, expected = masks.load(str(auto / "masks.npz")), masks.load(str(one / "masks.npz"))
    assert all(np.array_equal(got[k], expected[k]) for k in got)  # pruned at the same step, same weights
    for name in ("rewind.npz", "final_weights.npz"):
        a, step_a = rewind.load(str(auto / name))
        b, step_b = rewind.load(str(one / name))
        assert step_a == step_b and all(np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6) for k in a), name
    assert results[0]["test_accuracy"] == pytest.approx(results[1]["test_accuracy"], abs=1e-3)


def test_several_steps_per_call_trace_each_step_once_and_train_as_keras_own_loop(tmp_path, monkeypatch):
    fmnist = corrupt.subsample(data.load("embedded"), 0.1, seed=0)  # 600 images: 10 steps of 60 an epoch
    train = TrainConfig(training_steps="2ep", batch_size=60, lr=0.05, lr_schedule="constant", milestones=(),
                        validate_every_epoch=True, eval_batch_size=300, steps_per_execution=4)  # calls of 4, 4, 2
    runs = {}
    for own in (True, False):  # ours, then Keras' own several-step functions
        if not own:
            monkeypatch.setattr(execution, "trace_each_step_once", lambda model: None)
        model = models.build("mnist_lenet_300_100", fmnist.input_shape, fmnist.num_classes, seed=0)
        traces = {"train": 0, "test": 0}
        for kind in traces:
            step = getattr(model, f"{kind}_step")

            def counted(batch, kind=kind, step=step):
                traces[kind] += 1
                return step(batch)
            setattr(model, f"{kind}_step", counted)
        model, results = loop.train(model, fmnist, train, RunDir(str(tmp_path / str(own))), verbose=0)
        runs[own] = traces, results, model.get_weights()
    (ours, ours_results, ours_weights), (keras_own, keras_results, keras_weights) = runs[True], runs[False]
    assert ours == {"train": 1, "test": 1} and keras_own == {"train": 2, "test": 2}
    assert ours_results["steps"] == keras_results["steps"] == 20
    assert ours_results["steps_per_execution"] == 4
    assert all(np.allclose(a, b, rtol=1e-6, atol=1e-7) for a, b in zip(ours_weights, keras_weights))
    assert ours_results["test_accuracy"] == pytest.approx(keras_results["test_accuracy"], abs=1e-6)


def test_several_steps_per_call_carry_whatever_a_users_train_step_returns():
    class ExtraLogs(keras.Model):  # a user's train_step with a constant and a ragged tensor in its logs
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "ragged": tf.RaggedTensor.from_row_lengths(tf.ones([3]), [1, 2]), "constant": 3.0}

    inputs = keras.Input((4,))
    model = ExtraLogs(inputs, keras.layers.Dense(2)(inputs))
    model.compile("sgd", "mse", steps_per_execution=4)
    execution.trace_each_step_once(model)
    history = model.fit(np.ones((40, 4)), np.ones((40, 2)), batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 20
    assert history.history["constant"] == [3.0, 3.0] and len(history.history["loss"]) == 2
