"""Siblings (`python -m tf_tickets.siblings`): shared initialisation, data orders apart, masks combined at
exactly the wanted sparsity, overlap reports; resumable, schedulable, bad input refused."""
import contextlib
import io
import json
import os

import numpy as np
import pytest

from tests.conftest import REPO
from tf_tickets import cli, figures, masks
from tf_tickets.callbacks import rewind

FLAGS = ["--flagfile=configs/embedded_siblings.cfg", "--siblings=3", "--seeds=0", "--training_steps=1ep",
         "--milestones=", "--sparsity=0.9"]
HERE = "siblings/pretrain0it/seed0"
TABLES = "siblings/pretrain0it/sparsity0.9"


def run_siblings(*args):
    """`python -m tf_tickets.siblings args...` in this process: (exit code, stdout, stderr)."""
    from tf_tickets import siblings

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.run_in_process(siblings.main, "tf_tickets.siblings", [str(a) for a in args])
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    root = tmp_path_factory.mktemp("siblings")
    code, out, err = run_siblings(*FLAGS, f"--run_dir={root}")
    assert code == 0, err[-3000:]
    return root, out


def kept_masks(root, name):
    return masks.load(str(root / HERE / "sparsity0.9" / name / "masks.npz"))


def test_the_report_has_every_ticket_at_exactly_the_same_sparsity(experiment):
    root, out = experiment
    for ticket in ("one_shot", "union2", "union3", "intersection2", "intersection3"):
        assert f"| {ticket} | 1 |" in out
    counts = {name: masks.kept(kept_masks(root, name)) for name in ("one_shot", "union2", "union3", "intersection2",
                                                                     "intersection3")}
    assert len(set(counts.values())) == 1, counts  # re-targeted to exactly one sibling's count
    one_shot = kept_masks(root, "one_shot")
    assert masks.density(one_shot) == pytest.approx(0.1, abs=1e-4)
    rows = {r["ticket"]: r for r in reporting_rows(root)}
    results = json.loads((root / HERE / "sparsity0.9" / "union3" / "results.json").read_text())
    assert rows["union3"]["accuracy"].startswith(f"{100 * results['test_accuracy']:.2f}")


def reporting_rows(root):
    import csv

    with open(root / TABLES / "siblings.csv") as f:
        return list(csv.DictReader(f))


def test_combinations_stay_inside_the_union_and_outside_the_intersection(experiment):
    root, _ = experiment
    siblings = [masks.load(str(root / TABLES / "masks" / f"seed0-sibling{i}.npz")) for i in (1, 2, 3)]
    assert masks.overlap(siblings[0], kept_masks(root, "one_shot"))["iou"] == 1.0  # one-shot = sibling 1's mask
    for k in (2, 3):
        union, intersection = masks.union(siblings[:k]), masks.intersection(siblings[:k])
        for member in siblings[:k]:
            assert all(np.all(union[key] >= member[key]) and np.all(member[key] >= intersection[key]) for key in union)
        # The union is searched at a lower member density, so it keeps only positions some sibling keeps at
        # the target; the intersection at a higher one, so it keeps every position all of them keep.
        got_union, got_inter = kept_masks(root, f"union{k}"), kept_masks(root, f"intersection{k}")
        assert all(np.all(union[key] >= got_union[key]) for key in union)
        assert all(np.all(got_inter[key] >= intersection[key]) for key in union)


def test_siblings_differ_only_in_data_order(experiment, tmp_path):
    root, _ = experiment
    weights = {i: rewind.load(str(root / HERE / f"sibling{i}" / "final_weights.npz"))[0] for i in (1, 2)}
    assert any(not np.array_equal(weights[1][k], weights[2][k]) for k in weights[1])  # other data orders
    configs = [json.loads((root / HERE / f"sibling{i}" / "config.json").read_text()) for i in (1, 2)]
    assert configs[0]["seed"] == configs[1]["seed"] == 0 and configs[0]["data_seed"] != configs[1]["data_seed"]
    assert {k: v for k, v in configs[0].items() if k != "data_seed"} == \
           {k: v for k, v in configs[1].items() if k != "data_seed"}
    # The same data order again (a second root): the same weights, so the same masks.
    code, _, err = run_siblings(*FLAGS, f"--run_dir={tmp_path}", f"--stage={HERE}/sibling1")
    assert code == 0, err[-2000:]
    again = rewind.load(str(tmp_path / HERE / "sibling1" / "final_weights.npz"))[0]
    assert all(np.array_equal(again[k], weights[1][k]) for k in again)


def test_overlap_tables_and_plots(experiment):
    root, out = experiment
    matrix = json.loads((root / TABLES / "overlap.json").read_text())
    iou = np.array(matrix["iou"])
    assert matrix["names"] == ["sibling1", "sibling2", "sibling3"] and np.allclose(np.diag(iou), 1.0)
    assert np.allclose(iou, iou.T) and np.all(iou[~np.eye(3, dtype=bool)] < 1)
    pair = masks.overlap(*[masks.load(str(root / TABLES / "masks" / f"seed0-sibling{i}.npz")) for i in (1, 2)])
    assert iou[0, 1] == pytest.approx(pair["iou"])
    assert "| all layers |" in out and "| fc1 |" in out and "ratio to chance" in out
    shown = figures.plotted(str(root / TABLES / "siblings.png"))
    rows = {r["ticket"]: float(r["accuracy"].split(" ")[0]) / 100 for r in reporting_rows(root)}
    assert shown["series"]["union"][0] == pytest.approx([rows["union2"], rows["union3"]], abs=1e-4)
    assert shown["levels"]["one-shot"] == pytest.approx(rows["one_shot"], abs=1e-4)
    assert (root / TABLES / "overlap.png").stat().st_size > 0


def test_a_second_call_reuses_every_run(experiment):
    root, _ = experiment
    code, out, err = run_siblings(*FLAGS, f"--run_dir={root}")
    assert code == 0, err[-2000:]
    assert out.count("finished earlier") == 8  # 3 siblings, one-shot, 2 unions, 2 intersections


def test_print_commands_with_shared_pretraining(tmp_path):
    code, out, err = run_siblings(*FLAGS, f"--run_dir={tmp_path}", "--pretrain=20it", "--print_commands")
    assert code == 0, err[-2000:]
    waves = [line for line in out.splitlines() if line.startswith("# wave")]
    assert len(waves) == 3 and "1 runs" in waves[0] and "3 runs" in waves[1] and "5 runs" in waves[2]
    assert "--stage=siblings/pretrain20it/seed0/shared" in out
    assert (tmp_path / "siblings-pretrain20it-sparsity0.9.cfg").is_file()
    assert not (tmp_path / "siblings").exists()  # nothing trained


def test_with_shared_pretraining_every_run_starts_where_the_shared_run_was_captured(tmp_path):
    from tf_tickets.procedures.siblings import SiblingsPlan
    from tf_tickets.pruning.config import PruningConfig
    from tf_tickets.runs import RunSpec
    from tf_tickets.training.config import TrainConfig

    base = RunSpec("mnist_lenet_300_100", "embedded", TrainConfig(training_steps="2ep", seed=5),
                   PruningConfig("magnitude", sparsity=0.8))
    plan = SiblingsPlan(base, 3, "1ep", [5], str(tmp_path), steps_per_epoch=50)
    shared = plan.stages["siblings/pretrain1ep/seed5/shared"].spec
    assert shared.outputs.capture_at.to_steps(50) == 50 and shared.dense
    rewind_point = str(tmp_path / "siblings/pretrain1ep/seed5/shared/rewind.npz")
    later = [s for s in plan.stages.values() if s.name != "siblings/pretrain1ep/seed5/shared"]
    assert len(later) == 3 + 5
    for stage in later:
        assert str(stage.spec.start.weights) == rewind_point and stage.spec.start.step == 50
        assert stage.spec.train.seed == 5
    orders = {plan.stages[name].spec.train.order_seed for name in plan.siblings[5]}
    assert len(orders) == 3 and shared.train.order_seed not in orders


@pytest.mark.parametrize("args, message", [
    (["--siblings=1"], "at least 2"),
    (["--sparsity=1.0"], "sparsity must be in [0, 1)"),
    (["--pretrain=1ep"], "must be shorter than the training"),
    (["--criterion=synflow"], "100 rounds"),
    (["--seeds=a"], "--seeds must be integers"),
    (["--mask_file=x.npz"], "--mask_file does not apply"),
    (["--gather"], "have not finished"),
    (["--stage=nope"], "no run 'nope'"),
])
def test_bad_input_is_one_line_and_writes_nothing(args, message, tmp_path):
    code, _, err = run_siblings(*FLAGS, f"--run_dir={tmp_path / 'root'}", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "root").exists()


def test_combine_masks_api_on_a_users_own_models():
    import tf_tickets
    from tf_tickets import models

    nets = [models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=s) for s in (0, 1, 2)]
    for op in ("union", "intersection"):
        for budget in ("global", "layerwise"):
            alone = tf_tickets.pruning.current_masks(tf_tickets.prune(nets[0], "magnitude", 0.8, budget=budget))
            got = tf_tickets.combine_masks(nets, op, sparsity=0.8, budget=budget)
            assert masks.kept(got) == masks.kept(alone)  # exactly one network's count at 80%
            if budget == "layerwise":  # the layer budget survives the combination
                assert {k: int(v.sum()) for k, v in got.items()} == {k: int(v.sum()) for k, v in alone.items()}
    ticket = tf_tickets.prune(nets[0], masks=got)
    assert masks.kept(tf_tickets.pruning.current_masks(ticket)) == masks.kept(alone)
    with pytest.raises(tf_tickets.TicketsError, match="at least two"):
        tf_tickets.combine_masks(nets[:1])
    with pytest.raises(tf_tickets.TicketsError, match="unknown mask combination"):
        tf_tickets.combine_masks(nets, "xor")
