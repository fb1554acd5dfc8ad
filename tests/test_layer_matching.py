"""Masks meet models built several times in one process, where Keras numbers unnamed layers anew at each
build (dense_4, dense_8): every entry point matches layers by name, else by position when the prunable
layers' kinds and shapes agree (`tf_tickets.masks.match_layers`), else names the first difference."""
import json

import numpy as np
import pytest

import tf_tickets
from tf_tickets import masks
from tf_tickets.backend import keras
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import Pruner, current_masks, wrap


def build(seed, named=False, width=16):
    """A small conv net; unnamed, its layers get fresh numbers at each build."""
    keras.utils.set_random_seed(seed)
    name = (lambda n: n) if named else (lambda n: None)
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, name=name("conv")),
                             keras.layers.Flatten(name=name("flat")),
                             keras.layers.Dense(width, activation="relu", name=name("hidden")),
                             keras.layers.Dense(3, name=name("out"))])


def prunable(model):
    return [layer.name for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]


def test_combine_masks_of_networks_built_in_one_process():
    nets = [build(seed) for seed in (0, 1, 2)]
    assert len({tuple(prunable(net)) for net in nets}) == 3  # Keras named each build's layers apart
    named = [build(seed, named=True) for seed in (0, 1, 2)]
    for net, twin in zip(nets, named):
        assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), twin.get_weights()))
    for op in ("union", "intersection"):
        got = tf_tickets.combine_masks(nets, op, sparsity=0.9)
        want = tf_tickets.combine_masks(named, op, sparsity=0.9)  # the same networks, matched by name
        assert list(got) == prunable(nets[0])
        for mine, theirs in zip(got.values(), want.values()):
            np.testing.assert_array_equal(mine, theirs)
    ticket = tf_tickets.prune(build(0), masks=got)  # a fourth build takes the first one's masks
    assert [int(m.sum()) for m in current_masks(ticket).values()] == [int(m.sum()) for m in got.values()]
    with pytest.raises(TicketsError) as wider:
        tf_tickets.combine_masks([nets[0], build(3, width=8)], "union", sparsity=0.9)
    message = str(wider.value)
    assert "network 2 does not match network 1" in message and "layer 2" in message and "\n" not in message


def test_prune_with_masks_and_mask_files_of_another_build(tmp_path):
    first, again = build(0), build(0)
    ticket = tf_tickets.prune(first, "magnitude", 0.8)
    path = str(tmp_path / "masks.npz")
    masks.save(current_masks(ticket), path)
    loaded = masks.load(path)
    assert list(loaded) == prunable(first) and prunable(again) != prunable(first)
    retrained = tf_tickets.prune(again, masks=loaded)
    assert list(current_masks(retrained)) == prunable(again)
    for mine, theirs in zip(current_masks(retrained).values(), loaded.values()):
        np.testing.assert_array_equal(mine, theirs)
    # Earlier masks (iterative pruning's `within`) from another build keep their layers too.
    deeper = Pruner("magnitude", 0.9).masks(wrap(again), within=loaded)
    assert all(np.all(mask <= earlier) for mask, earlier in zip(deeper.values(), loaded.values()))
    with pytest.raises(TicketsError) as other:
        tf_tickets.prune(build(0, width=8), masks=loaded)
    message = str(other.value)
    assert message.startswith("the masks do not match the model: by name, not in the model:") and "\n" not in message
    assert "by position, layer 2 is " in message and "(144, 16) in the masks" in message and "dense (144, 8)" in message


def test_overlap_of_masks_of_networks_built_in_one_process(tmp_path, run_main):
    paths = []
    for number in (1, 2):  # the same random ticket (its scores: a function of the seed and the position)
        paths.append(str(tmp_path / f"build{number}.npz"))
        masks.save(current_masks(tf_tickets.prune(build(0), "random", 0.8, budget="layerwise", seed=1)), paths[-1])
    a, b = (masks.load(path) for path in paths)
    assert list(a) != list(b) and masks.overlap(a, b)["iou"] == 1.0
    result = run_main("tf_tickets.overlap", *paths, f"--out={tmp_path / 'out'}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "out" / "overlap.json").read_text())["iou"][0][1] == 1.0
    assert f"| {list(a)[0]} | 1.0000 |" in result.stdout  # the per-layer table: the first file's names
