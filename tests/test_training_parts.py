"""Durations, learning-rate schedules, coupled L2, run directories: the parts a run is made of."""
import json
import os
import warnings

import numpy as np
import pytest

from tf_tickets.backend import keras, tf
from tf_tickets import models
from tf_tickets.errors import TicketsError
from tf_tickets.training import distribution
from tf_tickets.training.config import TrainConfig
from tf_tickets.durations import Duration
from tf_tickets.training.lr_schedules import make_schedule
from tf_tickets.training.optimizers import CoupledL2SGD, make_optimizer
from tf_tickets.training.run_dir import RunDir


def test_durations_parse_and_convert():
    assert Duration.parse("160ep").to_steps(391) == 160 * 391
    assert Duration.parse("500it").to_steps(391) == 500
    assert Duration.parse("500it").to_epochs(391) == 2
    assert Duration.parse("2ep").to_epochs(391) == 2
    for bad in ["160", "ep", "1.5ep", "-3it", "10 epochs", ""]:
        with pytest.raises(TicketsError, match="malformed duration"):
            Duration.parse(bad)


def test_step_schedule_matches_reference_milestones():
    schedule = TrainConfig(training_steps="160ep", milestones=("80ep", "120ep")).make_schedule(steps_per_epoch=10)
    lr = lambda step: float(schedule(step))  # noqa: E731
    assert lr(0) == pytest.approx(0.1)
    assert lr(799) == pytest.approx(0.1)
    assert lr(801) == pytest.approx(0.01)
    assert lr(1201) == pytest.approx(0.001)


def test_warmup_then_cosine_and_step():
    cosine = make_schedule("cosine", 0.4, total_steps=100, warmup_steps=10)
    assert float(cosine(0)) < 0.1
    assert float(cosine(10)) == pytest.approx(0.4, rel=1e-5)
    assert float(cosine(100)) == pytest.approx(0.0, abs=1e-6)
    step = make_schedule("step", 0.4, total_steps=100, milestones=[50], warmup_steps=10)
    values = [float(step(s)) for s in range(12)]
    assert values[0] == pytest.approx(0.04)
    assert values[9] == pytest.approx(0.4)
    assert all(a < b for a, b in zip(values[:9], values[1:10]))
    assert float(step(60)) == pytest.approx(0.04)
    # Serialisable, so a compiled model's optimizer can be saved and reloaded.
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(step))
    assert float(again(5)) == pytest.approx(float(step(5)))


def test_coupled_l2_sgd_is_the_reference_update():
    """PyTorch SGD: d = g + wd*w; v = mu*v + d; w -= lr*v (coupled L2, decay also in the momentum)."""
    lr, mu, wd = 0.1, 0.9, 0.05
    w0 = np.array([1.0, -2.0, 3.0], np.float32)
    grads = [np.array([0.5, 0.1, -0.3], np.float32), np.array([-0.2, 0.4, 0.0], np.float32)]
    var = tf.Variable(w0)
    opt = make_optimizer("sgd", lr, momentum=mu, weight_decay=wd)
    w, v = w0.copy(), np.zeros(3, np.float32)
    for g in grads:
        opt.apply_gradients([(tf.constant(g), var)])
        v = mu * v + (g + wd * w)
        w = w - lr * v
    np.testing.assert_allclose(var.numpy(), w, rtol=1e-6)


class KerasMomentumStep(CoupledL2SGD):
    """The same optimizer with Keras' own momentum step (several ops a variable) instead of the fused kernel."""

    def _apply(self, gradient, variable):
        return keras.optimizers.SGD.update_step(self, gradient, variable)


def op_types(optimizer):
    """The op types of one traced update of a float32 variable, the functions it calls included."""
    variable = tf.Variable(np.ones(3, np.float32))
    optimizer.build([variable])
    update = tf.function(lambda g: optimizer.apply_gradients([(g, variable)]))
    graph = update.get_concrete_function(tf.TensorSpec([3], tf.float32)).graph.as_graph_def()
    nodes = list(graph.node) + [node for function in graph.library.function for node in function.node_def]
    return {node.op for node in nodes}


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
def test_fused_momentum_step_trains_exactly_as_keras_own(policy):
    """A small network's step is mostly per-op overhead, so SGD's momentum step runs as one fused kernel a
    variable; the weights after training inside fit (Conv, BatchNorm, Dense) must be Keras' to the bit."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8, 8, 3)).astype(np.float32), np.arange(64) % 10
    weights = {}
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(policy)
    try:
        for optimizer in (CoupledL2SGD, KerasMomentumStep):
            model = models.build("cifar_resnet_8_4", (8, 8, 3), 10, seed=1)
            model.compile(optimizer(0.1, momentum=0.9, l2=1e-3),
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True), steps_per_execution=4)
            model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
            weights[optimizer] = model.get_weights()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    fused, own = weights[CoupledL2SGD], weights[KerasMomentumStep]
    assert all(np.array_equal(a, b) for a, b in zip(fused, own))
    assert "ResourceApplyKerasMomentum" in op_types(CoupledL2SGD(0.1, momentum=0.9, l2=1e-3))  # the kernel ran
    assert "ResourceApplyKerasMomentum" not in op_types(KerasMomentumStep(0.1, momentum=0.9, l2=1e-3))
    assert not np.array_equal(fused[0], models.build("cifar_resnet_8_4", (8, 8, 3), 10, seed=1).get_weights()[0])


def test_bad_training_settings_are_one_line_errors():
    for kwargs, message in [({"batch_size": 0}, "batch size"), ({"batch_size": -4}, "batch size"),
                            ({"lr": 0.0}, "learning rate"), ({"lr": -1.0}, "learning rate"),
                            ({"training_steps": "10"}, "malformed duration"),
                            ({"optimizer": "rmsprop"}, "unknown optimizer"),
                            ({"lr_schedule": "linear"}, "unknown learning-rate schedule")]:
        with pytest.raises(TicketsError, match=message) as error:
            TrainConfig(**kwargs)
        assert "\n" not in str(error.value)


def test_run_dir_refuses_a_run_with_other_settings(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    run.claim({"model": "conv_2", "lr": 0.1})
    run.claim({"model": "conv_2", "lr": 0.1})  # same run: fine (resuming)
    with pytest.raises(TicketsError, match="other settings \\(lr\\)"):
        run.claim({"model": "conv_2", "lr": 0.2})
    assert not run.is_finished()
    run.finish({"test_accuracy": 0.5})
    assert run.is_finished() and json.loads((tmp_path / "run" / "results.json").read_text())["test_accuracy"] == 0.5
    assert not [f for f in os.listdir(tmp_path / "run") if f.startswith(".tmp")]


def test_bfloat16_instructions_are_read_from_cpuinfo(tmp_path):
    x86, arm, older, empty = (tmp_path / n for n in ("x86", "arm", "older", "empty"))
    x86.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n")
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n")
    older.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n")
    empty.write_text("processor\t: 0\n")
    assert distribution.cpu_has_bfloat16(str(x86)) is True
    assert distribution.cpu_has_bfloat16(str(arm)) is True
    assert distribution.cpu_has_bfloat16(str(older)) is False
    assert distribution.cpu_has_bfloat16(str(empty)) is None  # cannot tell: no warning either way
    assert distribution.cpu_has_bfloat16(str(tmp_path / "absent")) is None


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="the CPU policy")
def test_mixed_precision_on_a_cpu_warns_only_without_bfloat16_instructions():
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert distribution.set_precision(True) == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    said = [str(w.message) for w in caught if "bfloat16 instructions" in str(w.message)]
    assert len(said) == (distribution.cpu_has_bfloat16() is False)
    assert distribution.set_precision(False) == "float32"
