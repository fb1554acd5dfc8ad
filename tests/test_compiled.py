"""A grid's runs share one compiled model per architecture and settings, with the results of fresh models."""
import json
import pathlib

import numpy as np

from tf_tickets import models
from tf_tickets.backend import keras, tf
from tf_tickets.training import loop
from tf_tickets.training.compiled import CompiledModels

GRID = ["--model=mnist_lenet_300_100", "--dataset=embedded", "--train_fraction=0.25", "--batch_size=50",
        "--lr=0.05", "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false",
        "--training_steps=45it", "--methods=random@smart_ratio,snip@global", "--sparsity=0.9", "--seeds=0,1",
        "--checks=random_labels,rearrange"]


def run_files(root: pathlib.Path):
    return sorted(p.relative_to(root) for p in root.rglob("results.json"))


def test_a_grid_compiles_once_and_its_runs_equal_fresh_models(tmp_path, run_main, monkeypatch):
    compiles = []
    compile_model = loop.compile_model
    monkeypatch.setattr(loop, "compile_model", lambda *args, **kw: compiles.append(1) or compile_model(*args, **kw))
    shared = run_main("tf_tickets.sanity", *GRID, f"--run_dir={tmp_path / 'shared'}")
    assert shared.returncode == 0, shared.stderr[-3000:]
    assert len(compiles) == 1  # ten runs (two methods, seeds, random labels, rearranged masks): one model

    monkeypatch.setattr(CompiledModels, "take", lambda self, key, model: None)  # every run its own
    fresh = run_main("tf_tickets.sanity", *GRID, f"--run_dir={tmp_path / 'fresh'}")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert len(compiles) == 1 + 10

    runs = run_files(tmp_path / "shared")
    assert len(runs) == 10 and runs == run_files(tmp_path / "fresh")
    for run in runs:
        a, b = (json.loads((tmp_path / side / run).read_text()) for side in ("shared", "fresh"))
        assert a["steps"] == b["steps"] == 45, run
        assert a["test_loss"] == b["test_loss"] and a["test_accuracy"] == b["test_accuracy"], run
        masks_a, masks_b = (np.load(tmp_path / side / run.parent / "masks.npz") for side in ("shared", "fresh"))
        assert all(np.array_equal(masks_a[k], masks_b[k]) for k in masks_b.files), run
    tables = [result.stdout.split("\n\n", 1)[1] for result in (shared, fresh)]
    assert tables[0].replace(str(tmp_path / "shared"), "") == tables[1].replace(str(tmp_path / "fresh"), "")


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
