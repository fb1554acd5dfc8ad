"""A grid's runs share one compiled model per architecture and settings, with the results of fresh models."""
import dataclasses
import json
import pathlib

import numpy as np
import pytest

from tf_tickets import data, models
from tf_tickets.backend import keras, tf
from tf_tickets.data import corrupt
from tf_tickets.training import loop
from tf_tickets.training.compiled import CompiledModels
from tf_tickets.training.config import TrainConfig
from tf_tickets.training.run_dir import RunDir

TINY = ["--model=mnist_lenet_300_100", "--dataset=embedded", "--train_fraction=0.25", "--batch_size=50", "--lr=0.05",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=45it",
        "--sparsity=0.9", "--seeds=0,1"]
# Tickets at initialisation under the mask- and data-side checks: ten runs of one architecture and settings.
AT_INIT = ["--methods=random@smart_ratio,snip@global", "--checks=random_labels,rearrange"]
# Lottery tickets rewound to step 15 (dense pretraining, then pruned runs from step 15 on) under the
# weight-side checks and half the data (other steps per epoch): several kept models, reused.
LOTTERY = ["--methods=lottery", "--rewind_to=15it", "--checks=reinit,shuffle,half_data"]


def run_files(root: pathlib.Path):
    return sorted(p.relative_to(root) for p in root.rglob("results.json"))


@pytest.mark.parametrize("grid, runs, compiled", [(AT_INIT, 10, 1), (LOTTERY, 12, 3)], ids=["at_init", "lottery"])
def test_a_grid_compiles_once_per_kind_of_run_and_its_runs_equal_fresh_models(tmp_path, run_main, monkeypatch,
                                                                                grid, runs, compiled):
    compiles = []
    compile_model = loop.compile_model
    monkeypatch.setattr(loop, "compile_model", lambda *args, **kw: compiles.append(1) or compile_model(*args, **kw))
    shared = run_main("tf_tickets.sanity", *TINY, *grid, f"--run_dir={tmp_path / 'shared'}")
    assert shared.returncode == 0, shared.stderr[-3000:]
    assert len(compiles) == compiled

    monkeypatch.setattr(CompiledModels, "take", lambda self, key, model: None)  # every run its own
    fresh = run_main("tf_tickets.sanity", *TINY, *grid, f"--run_dir={tmp_path / 'fresh'}")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert len(compiles) == compiled + runs

    names = run_files(tmp_path / "shared")
    assert len(names) == runs and names == run_files(tmp_path / "fresh")
    for run in names:
        kept, own = (json.loads((tmp_path / side / run).read_text()) for side in ("shared", "fresh"))
        assert kept["steps"] == own["steps"], run
        assert kept["test_loss"] == own["test_loss"] and kept["test_accuracy"] == own["test_accuracy"], run
        saved = sorted(p.name for p in (tmp_path / "shared" / run.parent).glob("*.npz"))  # masks, weights
        assert saved == sorted(p.name for p in (tmp_path / "fresh" / run.parent).glob("*.npz")), run
        for name in saved:
            kept, own = (np.load(tmp_path / side / run.parent / name) for side in ("shared", "fresh"))
            assert kept.files == own.files and all(np.array_equal(kept[k], own[k]) for k in own.files), (run, name)
    tables = [result.stdout.split("\n\n", 1)[1] for result in (shared, fresh)]
    assert tables[0].replace(str(tmp_path / "shared"), "") == tables[1].replace(str(tmp_path / "fresh"), "")


def test_a_kept_model_runs_as_many_steps_per_call_as_a_fresh_one(tmp_path):
    fmnist = corrupt.subsample(data.load("embedded"), 0.1, seed=0)  # 600 images: 10 steps of 60 an epoch
    train = TrainConfig(training_steps="2ep", batch_size=60, lr=0.05, lr_schedule="constant", milestones=(),
                        validate_every_epoch=False, steps_per_execution=4)  # calls of 4, 4 and 2 an epoch
    compiled, kept, per_call = CompiledModels(), None, []
    for seed in (0, 1):
        model = models.build("mnist_lenet_300_100", fmnist.input_shape, fmnist.num_classes, seed=seed)
        trained, results = loop.train(model, fmnist, dataclasses.replace(train, seed=seed),
                                      RunDir(str(tmp_path / f"seed{seed}")), verbose=0, compiled=compiled)
        assert results["steps"] == 20
        if kept is None:  # the first run stopped after a call of 2, which Keras left as the steps per call
            kept, steps = trained, trained.train_function

            def counted(iterator):
                before = int(kept.optimizer.iterations.numpy())
                outputs = steps(iterator)
                per_call.append(int(kept.optimizer.iterations.numpy()) - before)
                return outputs
            kept.train_function = counted
    assert trained is kept and per_call == [4, 4, 2, 4, 4, 2]


def test_models_that_draw_random_numbers_or_run_distributed_or_in_mixed_precision_are_not_shared():
    plain = models.build("mnist_lenet_300_100", (28, 28, 1), 10)
    default = tf.distribute.get_strategy()
    assert CompiledModels.sharable(plain, default)
    inputs = keras.Input((4,))
    dropout = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dropout(0.5)(inputs)))
    assert not CompiledModels.sharable(dropout, default)
    assert not CompiledModels.sharable(plain, tf.distribute.OneDeviceStrategy("/cpu:0"))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        assert not CompiledModels.sharable(plain, default)
    finally:
        keras.mixed_precision.set_global_policy("float32")
