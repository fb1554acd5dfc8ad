"""Mask overlap of any runs (`python -m tf_tickets.overlap`), and a data order seeded apart from the weights."""
import json
import subprocess
import sys

import numpy as np
import pytest

import tf_tickets
from tests.conftest import REPO, cli_env
from tf_tickets import masks, models
from tf_tickets.data import pipeline
from tf_tickets.runs import RunSpec
from tf_tickets.training.config import TrainConfig


@pytest.fixture(scope="module")
def mask_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("masks")
    net = models.build("cifar_resnet_8", (28, 28, 1), 10, seed=0)
    paths = {}
    for name, kwargs in {"magnitude": dict(criterion="magnitude"),
                         "random_a": dict(criterion="random", seed=1), "random_b": dict(criterion="random", seed=2)
                         }.items():
        ticket = tf_tickets.prune(net, sparsity=0.8, budget="layerwise", **kwargs)
        paths[name] = str(root / f"{name}.npz")
        masks.save(tf_tickets.pruning.current_masks(ticket), paths[name])
    (root / "run").mkdir()
    masks.save(masks.load(paths["magnitude"]), str(root / "run" / "masks.npz"))
    paths["run"] = str(root / "run")
    return paths


def test_overlap_of_runs_and_mask_files(mask_files, run_main, tmp_path):
    result = run_main("tf_tickets.overlap", mask_files["run"], mask_files["magnitude"], mask_files["random_a"],
                      mask_files["random_b"], f"--out={tmp_path / 'out'}")
    assert result.returncode == 0, result.stderr[-2000:]
    matrix = json.loads((tmp_path / "out" / "overlap.json").read_text())
    iou = np.array(matrix["iou"])
    assert iou[0, 1] == 1.0  # a run and the mask file it holds
    assert iou[2, 3] == pytest.approx(matrix["chance"][2][3], abs=0.02)  # independent random masks: chance
    assert matrix["relative"][2][3] == pytest.approx(1.0, abs=0.1)
    assert "ratio to chance:" in result.stdout and (tmp_path / "out" / "overlap.png").stat().st_size > 0
    two = run_main("tf_tickets.overlap", mask_files["magnitude"], mask_files["random_a"])
    assert "per layer:" in two.stdout and "| stem_conv |" in two.stdout


@pytest.mark.parametrize("args, message", [
    (["one.npz"], "at least two"),
    (["/no/such.npz", "/no/other.npz"], "does not exist"),
])
def test_overlap_bad_input(args, message, run_main):
    result = run_main("tf_tickets.overlap", *args)
    assert result.returncode == 2 and message in result.stderr


def test_overlap_of_a_directory_without_masks_is_refused(tmp_path, mask_files, run_main):
    result = run_main("tf_tickets.overlap", str(tmp_path), mask_files["magnitude"])
    assert result.returncode == 2 and "not a finished pruned run" in result.stderr


def test_the_overlap_command_loads_no_tensorflow(mask_files):
    code = ("import sys, runpy; sys.argv = ['overlap', " + repr(mask_files["magnitude"]) + ", "
            + repr(mask_files["random_a"]) + "]\ntry:\n    runpy.run_module('tf_tickets.overlap', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\nassert 'tensorflow' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_data_seed_changes_the_order_but_not_the_weights_nor_old_identities():
    base = TrainConfig(training_steps="30it", seed=3)
    assert "data_seed" not in base.to_dict()  # runs made before the option keep their identity
    sibling = TrainConfig(training_steps="30it", seed=3, data_seed=7)
    assert sibling.to_dict()["data_seed"] == 7 and sibling.order_seed == 7 and base.order_seed == 3
    spec = RunSpec("mnist_lenet_40_20", "embedded", sibling)
    assert spec.identity()["data_seed"] == 7 and spec.identity()["seed"] == 3
    data = tf_tickets.data.load("embedded")
    first = lambda seed: next(iter(pipeline.train_dataset(data, 32, seed)))[1].numpy()  # noqa: E731
    assert not np.array_equal(first(sibling.order_seed), first(base.order_seed))
