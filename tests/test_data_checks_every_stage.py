"""A data check corrupts the data that decides the mask, at every stage that decides one (Su et al.): the
dense pretraining, each earlier level of iterative pruning, a jackpot's search, gradual pruning; only the
final ticket retrains on clean data. Each run records the data it trained and pruned on."""
import json

import pytest
from absl import flags

from tests.conftest import REPO
from tf_tickets import sanity  # noqa: F401  (defines the flags)

TINY = ["--model=mnist_lenet_300_100", "--dataset=embedded", "--batch_size=64", "--lr=0.1", "--lr_schedule=constant",
        "--milestones=", "--validate_every_epoch=false"]


@pytest.fixture
def plan(monkeypatch):
    monkeypatch.chdir(REPO)

    def build(*args):
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["tf_tickets", *TINY, "--training_steps=30it", "--sparsity=0.9", "--seeds=0", "--run_dir=/ROOT",
                     *args])
        return sanity.build_grid()

    yield build
    flags.FLAGS.unparse_flags()


@pytest.mark.parametrize("procedure, extra", [("lottery", ["--levels=3"]), ("lottery", ["--level_rate=0.5"]),
                                              ("jackpot", ["--tune_steps=10it"]), ("gmp", ["--gmp_frequency=5"]),
                                              ("lr_rewinding", [])])
def test_every_stage_that_decides_a_mask_trains_on_the_corrupted_data(plan, procedure, extra):
    grid = plan(f"--procedure={procedure}", "--checks=random_labels", *extra)
    final = {grid.cells[(check, 0)] for check in grid.checks}
    deciders = {name for stage in grid.stages.values() for name in stage.mask_inputs}
    for name, stage in grid.stages.items():
        corrupted = stage.spec.check == "random_labels" and name not in final
        assert stage.spec.trains_on_check_data == corrupted, name
        assert (name in deciders) == (name not in final), name  # every stage but the tickets decides a mask
    if procedure == "lottery":  # the earlier levels say so in their names, and are new runs (their identity)
        levels = [n for n in grid.stages if "/level" in n and "trained_on_random_labels" in n]
        assert len(levels) == {"--levels=3": 2, "--level_rate=0.5": 3}[extra[0]] and all(grid.stages[n].spec.identity()["train_data"] == "random_labels" for n in levels)


def test_level_rate_shares_the_earlier_levels_between_sparsities(plan):
    low = plan("--procedure=lottery", "--level_rate=0.5", "--checks=random_labels", "--sparsity=0.75")
    high = plan("--procedure=lottery", "--level_rate=0.5", "--checks=random_labels", "--sparsity=0.875")
    shared = set(low.stages) & set(high.stages)
    assert "lottery/rate0.5/trained_on_random_labels/seed0/level1" in shared
    assert all(low.stages[n].spec.identity() == high.stages[n].spec.identity() for n in shared)
    sparsities = sorted(s.spec.pruning.sparsity for n, s in high.stages.items() if "/none/" in n or n.endswith("plain/seed0"))
    assert sparsities == [0.5, 0.75, 0.875]  # half of what is left, each level, up to --sparsity


def metrics(run):
    return json.loads((run / "metrics.json").read_text())[-1], json.loads((run / "results.json").read_text())


def test_a_three_level_lottery_ticket_under_random_labels(tmp_path, run_main):
    """Every earlier level trains on the random labels (its train accuracy stays near chance), the final
    ticket on the clean ones; each run records what it saw."""
    result = run_main("tf_tickets.sanity", *TINY, "--training_steps=2ep", "--procedure=lottery", "--levels=3",
                      "--sparsity=0.9", "--seeds=0", "--checks=random_labels", f"--run_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-2000:]
    for k in (1, 2):
        last, results = metrics(tmp_path / f"lottery/levels3/sparsity0.9/trained_on_random_labels/seed0/level{k}")
        assert last["accuracy"] < 0.3 and results["train_data"] == "random_labels", (k, last)
        assert results["pruning_data"] == "random_labels"
        clean, results = metrics(tmp_path / f"lottery/levels3/sparsity0.9/none/seed0/level{k}")
        assert clean["accuracy"] > 0.7 and results["train_data"] == "clean"
    last, results = metrics(tmp_path / "lottery/sparsity0.9/random_labels/seed0")
    assert last["accuracy"] > 0.7 and results["train_data"] == "clean" and results["pruning_data"] == "random_labels"
    _, pretrain = metrics(tmp_path / "pretrain/random_labels/seed0")
    assert pretrain["train_data"] == "random_labels"
