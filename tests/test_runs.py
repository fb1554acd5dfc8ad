"""Runs as data: mask sources, references between stages, one check per run."""
import numpy as np
import pytest

import tf_tickets
from tf_tickets import data, masks, models, runner
from tf_tickets.data import corrupt
from tf_tickets.errors import TicketsError
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.runs import Combined, FromCriterion, NoMasks, Ref, RunSpec, Start
from tf_tickets.runs.refs import Root
from tf_tickets.training.config import TrainConfig
from tf_tickets.training.run_dir import RunDir

TRAIN = TrainConfig(training_steps="5it", batch_size=50, lr=0.05, lr_schedule="constant", milestones=(),
                    validate_every_epoch=False)


def tiny_data():
    return corrupt.subsample(data.load("embedded"), 0.05, seed=0)


def test_a_run_from_the_union_of_two_runs_masks(tmp_path):
    fmnist = tiny_data()
    net = models.build("mnist_lenet_40_20", fmnist.input_shape, fmnist.num_classes, seed=0)
    paths = []
    for seed in (0, 1):
        ticket = tf_tickets.prune(net, "random", 0.8, budget="layerwise", seed=seed)
        paths.append(str(tmp_path / f"m{seed}.npz"))
        masks.save(tf_tickets.pruning.current_masks(ticket), paths[-1])
    spec = RunSpec("mnist_lenet_40_20", "embedded", TRAIN, PruningConfig(),
                   masks=Combined("union", (Ref.at(paths[0]), Ref.at(paths[1]))))
    results = runner.execute(spec, fmnist, RunDir(str(tmp_path / "run")))
    expected = masks.union([masks.load(p) for p in paths])
    got = masks.load(str(tmp_path / "run" / "masks.npz"))
    assert all(np.array_equal(got[k], expected[k]) for k in expected)
    assert results["density"] == pytest.approx(masks.density(expected))
    assert spec.identity()["pruning"]["masks_from"] == paths


def test_references_resolve_under_the_grid_root_and_order_the_stages():
    spec = RunSpec("mnist_lenet_40_20", "embedded", TRAIN, PruningConfig(criterion="magnitude"),
                   masks=FromCriterion(score_from=Ref("pretrain/clean/seed0", "final_weights.npz"),
                                       within=Ref("level1", "masks.npz")),
                   start=Start(Ref("pretrain/clean/seed0", "rewind.npz"), step=20))
    assert [r.stage for r in spec.refs()] == ["pretrain/clean/seed0", "pretrain/clean/seed0", "level1"]
    with pytest.raises(TicketsError, match="not resolved"):
        spec.identity()
    resolved = spec.resolved("/grid")
    assert str(resolved.start.weights) == "/grid/pretrain/clean/seed0/rewind.npz"  # where the file is read
    identity = resolved.identity()  # names it relative to the root, wherever the root is mounted
    assert identity["start_from"] == "pretrain/clean/seed0/rewind.npz" and identity["start_step"] == 20
    assert identity["within_masks"] == "level1/masks.npz"
    assert spec.resolved(Root("/grid", {"level1": "level1+lr=0.1"})).identity()["within_masks"] == \
        "level1+lr=0.1/masks.npz"  # a run the plan placed beside its name


def test_one_check_per_run_and_mask_checks_need_masks():
    with pytest.raises(TicketsError, match="needs a pruned network"):
        RunSpec("mnist_lenet_40_20", "embedded", TRAIN, masks=NoMasks(), check="rearrange")
    with pytest.raises(TicketsError, match="unknown check"):
        RunSpec("mnist_lenet_40_20", "embedded", TRAIN, check="astrology")
    with pytest.raises(TicketsError, match="no criterion"):
        RunSpec("mnist_lenet_40_20", "embedded", TRAIN, PruningConfig(), masks=FromCriterion())
    with pytest.raises(TicketsError, match="at least two runs"):
        Combined("union", (Ref.at("a.npz"),))
    spec = RunSpec("mnist_lenet_40_20", "embedded", TRAIN, PruningConfig(criterion="snip"), masks=FromCriterion(),
                   check="random_labels")
    assert (spec.identity()["corrupt"], spec.identity()["mask_check"]) == ("random_labels", "none")
