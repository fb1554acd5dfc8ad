"""Layer collapse is caught and reported by name: empty layers, a disconnected network, flat scores."""
import json
import warnings

import numpy as np
import pytest

from tests.conftest import run_cli

import tf_tickets
from tf_tickets import data, models
from tf_tickets.data import corrupt
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import collapse, format_report, sparsity_report


@pytest.fixture(scope="module")
def batch():
    fmnist = corrupt.subsample(data.load("embedded"), 0.1, seed=0)
    return fmnist.x_train.astype(np.float32) / 255, fmnist.y_train


def snip(name, sparsity, batch, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pruned = tf_tickets.prune(models.build(name, (28, 28, 1), 10, seed=0), "snip", sparsity, data=batch, **kwargs)
    return pruned, [str(w.message) for w in caught if "layer collapse" in str(w.message)]


def test_snip_empties_the_only_path_of_a_plain_net_and_says_so(batch):
    pruned, said = snip("mnist_conv_small", 0.999, batch)
    assert collapse.find(pruned) == {"empty": ["fc1"], "disconnecting": ["fc1"], "connected": False}
    assert len(said) == 1 and "disconnected" in said[0] and "fc1" in said[0]
    rows = sparsity_report(pruned)
    assert [r["name"] for r in rows if r["empty"]] == ["fc1"] and [r for r in rows if r["disconnects"]]
    assert "| fc1 (empty, disconnects) |" in format_report(rows)
    assert "warning: layer collapse" in format_report(rows)


def test_an_empty_residual_branch_is_survivable(batch):
    pruned, said = snip("cifar_resnet_8", 0.995, batch)
    found = collapse.find(pruned)
    assert found == {"empty": ["stage3_block1_conv1", "stage3_block1_conv2"], "disconnecting": [], "connected": True}
    assert len(said) == 1 and "survivable" in said[0] and "disconnected" not in said[0]
    # Deeper still, the branch and its 1x1 shortcut both empty: no single layer cuts the net, together they do.
    pruned, said = snip("cifar_resnet_8", 0.999, batch)
    found = collapse.find(pruned)
    assert not found["connected"] and "stage3_block1_shortcut_conv" in found["disconnecting"]
    assert "disconnected" in said[0]


def test_on_collapse_raise_is_one_line_and_ignore_is_silent(batch):
    with pytest.raises(TicketsError, match="layer collapse: the network is disconnected") as error:
        snip("mnist_conv_small", 0.999, batch, on_collapse="raise")
    assert "\n" not in str(error.value)
    _, said = snip("mnist_conv_small", 0.999, batch, on_collapse="ignore")
    assert said == []
    _, said = snip("mnist_conv_small", 0.9, batch)  # nothing empty, nothing said
    assert said == []


def test_a_layer_scored_all_zero_is_named():
    model = models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=0)
    model.get_layer("fc2").kernel.assign(np.zeros(model.get_layer("fc2").kernel.shape, np.float32))
    with pytest.warns(RuntimeWarning, match="magnitude scored every weight zero in fc2"):
        tf_tickets.prune(model, "magnitude", 0.5, budget="layerwise")


TINY = ["--model=mnist_conv_small", "--dataset=embedded", "--train_fraction=0.1", "--batch_size=50",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=5it",
        "--method=snip", "--sparsity=0.999"]


def test_runs_record_collapse_and_the_flag_can_stop_them(tmp_path, run_main):
    stopped = run_main("tf_tickets.train", *TINY, "--on_collapse=raise", f"--run_dir={tmp_path / 'a'}")
    assert stopped.returncode == 2 and "layer collapse" in stopped.stderr
    assert not (tmp_path / "a").exists()
    done = run_main("tf_tickets.train", *TINY, f"--run_dir={tmp_path / 'b'}")
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert results["collapsed"] == {"empty": ["fc1"], "disconnecting": ["fc1"], "connected": False}
    assert "warning: layer collapse" in (tmp_path / "b" / "sparsity.md").read_text()
    assert "warning: layer collapse" in done.stdout
    # The same settings with --on_collapse=ignore are the same run (the flag does not change what trains).
    again = run_main("tf_tickets.train", *TINY, "--on_collapse=ignore", f"--run_dir={tmp_path / 'b'}")
    assert again.returncode == 0


def test_what_pruning_says_before_the_run_directory_exists_is_in_its_log_file(tmp_path):
    done = run_cli("tf_tickets.train", *TINY, f"--run_dir={tmp_path / 'run'}")
    assert done.returncode == 0, done.stderr[-2000:]
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "pruning: snip" in log.splitlines()[0] and "layer collapse" in log  # in order, first


def test_min_density_prevents_the_collapse(batch):
    pruned, said = snip("mnist_conv_small", 0.999, batch, budget_options={"min_density": 0.0005})
    assert said == [] and collapse.find(pruned)["connected"]
    rows = sparsity_report(pruned)
    assert all(r["kept"] >= np.ceil(0.0005 * r["size"]) for r in rows)
    assert sum(r["kept"] for r in rows) == int(sum(r["size"] for r in rows) * (1 - 0.999))


def test_skip_shortcuts_leaves_projection_shortcuts_dense():
    from tf_tickets.backend import keras
    from tf_tickets.pruning.policies import shortcut_convs

    resnet = models.build("cifar_resnet_20", (32, 32, 3), 10, seed=0)
    pruned = tf_tickets.prune(resnet, "random", 0.9, policy="skip_shortcuts")
    masked = {r["name"] for r in sparsity_report(pruned)}
    assert {"stage2_block1_shortcut_conv", "stage3_block1_shortcut_conv"}.isdisjoint(masked)
    assert len(masked) == len(models.prunable_layers(resnet)) - 2
    # The rule is structural: Keras' ResNet50 projections are found, MobileNetV2's 1x1 convs are not shortcuts.
    assert shortcut_convs(keras.applications.ResNet50(input_shape=(32, 32, 3), weights=None, classes=10)) == {
        "conv2_block1_0_conv", "conv3_block1_0_conv", "conv4_block1_0_conv", "conv5_block1_0_conv"}
    assert shortcut_convs(keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None,
                                                         classes=10)) == set()
