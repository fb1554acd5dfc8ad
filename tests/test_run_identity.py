"""Run directories made by earlier versions are recognised and reused: a run's identity (config.json) is
unchanged by the new run seam, except that other runs' files are now named relative to the runs root (the
absolute paths that older versions wrote, under one root, wherever it is now, are the same run). The
fixtures in tests/fixtures/v1 were written by main at dbf46c7."""
import json
import os
import shutil

import pytest
from absl import flags

from tests.conftest import REPO
from tf_tickets import compare, harness, sanity, train  # noqa: F401  (define the flags)
from tf_tickets.training.run_dir import same_settings

V1 = REPO / "tests" / "fixtures" / "v1"
IDENTITIES = json.loads((V1 / "identities.json").read_text())
TINY = ["--model=mnist_conv_small", "--dataset=embedded", "--training_steps=30it", "--batch_size=50", "--lr=0.05",
        "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false"]
TRAIN_RUNS = {
    "train/dense": ["--train_fraction=1"],
    "train/snip": ["--train_fraction=0.25", "--method=snip", "--sparsity=0.8"],
    "train/random_smart": ["--train_fraction=0.25", "--method=random", "--budget=smart_ratio",
                           "--budget_options=linear_keep_ratio=0.3"],
    "train/prune_at": ["--train_fraction=0.25", "--method=magnitude", "--prune_at=2ep", "--policy=skip_first"],
    "train/mask_file": ["--train_fraction=0.25", "--mask_file=/ROOT/m.npz"],
    "train/mask_file_method": ["--train_fraction=0.25", "--method=file", "--mask_file=/ROOT/m.npz"],
    "train/synflow_opts": ["--train_fraction=0.25", "--method=synflow", "--sparsity=0.95",
                           "--method_options=rounds=10"],
}
GRIDS = {"snip": [], "random": ["--budget=smart_ratio"], "synflow": [], "lottery": ["--levels=2", "--rewind_to=20it"],
         "lottery_one_shot": [], "lr_rewinding": [], "fine_tuning": ["--finetune_steps=10it"], "obd": [], "hybrid": []}


@pytest.fixture
def parse(monkeypatch):
    monkeypatch.chdir(REPO)

    def parse_args(*args):
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["tf_tickets", *args])

    yield parse_args
    flags.FLAGS.unparse_flags()


@pytest.mark.parametrize("name", sorted(TRAIN_RUNS))
def test_single_runs_keep_their_identity(name, parse):
    parse(*TINY, *TRAIN_RUNS[name])
    assert harness.spec_from_flags().identity() == IDENTITIES[name]


DATA_CHECKS = ("random_labels", "random_pixels", "half_data")


def corrected(name, identity):
    """The one change since v1: under a data check, an earlier level of iterative pruning trains on the corrupted
    data (its trained weights decide the next level's mask; v1 trained it on clean data). Such a level is a new
    run in a new directory ("trained_on_<check>"), and the tickets that read its files are new runs too."""
    def moved(path):
        if path and "/level" in path:
            for check in DATA_CHECKS:
                path = path.replace(f"/{check}/seed", f"/trained_on_{check}/seed")
        return path

    identity = {**identity, **{k: moved(identity[k]) for k in ("score_from", "within_masks")}}
    if "/level" in name and identity["corrupt"] in DATA_CHECKS:
        identity["train_data"] = identity["corrupt"]
    return moved(name), identity


@pytest.mark.parametrize("method", sorted(GRIDS))
def test_every_run_of_every_procedure_keeps_its_identity(method, parse):
    parse(*TINY, "--train_fraction=0.25", f"--method={method}", "--sparsity=0.9", "--seeds=0,1", "--run_dir=/ROOT",
          *GRIDS[method])
    grid = sanity.build_grid()
    expected = dict(corrected(k.split("/", 2)[2], v) for k, v in IDENTITIES.items() if k.startswith(f"grid/{method}/"))
    assert sorted(grid.stages) == sorted(expected)
    for name, stage in grid.stages.items():
        identity = stage.spec.identity()
        # Other runs' files are named relative to the runs root now; the old absolute form is the same run.
        assert identity == json.loads(json.dumps(expected[name]).replace('"/ROOT/', '"')), name
        assert same_settings(expected[name], identity), name


def test_absolute_paths_of_older_versions_are_the_same_run_only_under_one_root():
    relative = {"start_from": "pretrain/clean/seed0/rewind.npz", "score_from": "p/clean/seed0/final_weights.npz"}
    assert same_settings({"start_from": "/old/root/pretrain/clean/seed0/rewind.npz",
                          "score_from": "/old/root/p/clean/seed0/final_weights.npz"}, relative)
    assert not same_settings({"start_from": "/one/pretrain/clean/seed0/rewind.npz",
                              "score_from": "/two/p/clean/seed0/final_weights.npz"}, relative)
    assert not same_settings({"start_from": "/old/root/pretrain/clean/seed1/rewind.npz",
                              "score_from": "/old/root/p/clean/seed0/final_weights.npz"}, relative)


def files_and_times(root):
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_a_finished_run_of_the_old_layout_is_reused(tmp_path, run_main):
    run_dir = tmp_path / "run"
    shutil.copytree(V1 / "run", run_dir)
    before = files_and_times(run_dir)
    result = run_main("tf_tickets.train", "--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1",
                      "--batch_size=50", "--lr=0.05", "--lr_schedule=constant", "--milestones=",
                      "--validate_every_epoch=false", "--training_steps=12it", "--method=snip", "--sparsity=0.8",
                      f"--run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert files_and_times(run_dir) == before  # nothing trained, nothing rewritten
    old = json.loads((V1 / "run" / "results.json").read_text())
    assert f"test accuracy {old['test_accuracy']:.4f}" in result.stdout


@pytest.mark.parametrize("written_under", ["this root", "a root since moved"])
def test_a_finished_grid_of_the_old_layout_is_reused(tmp_path, run_main, written_under):
    root = tmp_path / "grid"
    shutil.copytree(V1 / "grid", root)
    old_root = root if written_under == "this root" else "/mnt/cluster/elsewhere/grid"
    for config in root.rglob("config.json"):  # the fixture's paths were written relative to its root
        config.write_text(config.read_text().replace("{root}", str(old_root)))
    before = files_and_times(root)
    result = run_main("tf_tickets.sanity", "--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1",
                      "--batch_size=50", "--lr=0.05", "--lr_schedule=constant", "--milestones=",
                      "--validate_every_epoch=false", "--training_steps=12it", "--method=lottery", "--levels=2",
                      "--sparsity=0.8", "--seeds=0,1", "--checks=rearrange", f"--run_dir={root}")
    assert result.returncode == 0, result.stderr[-2000:]
    after = files_and_times(root)
    changed = sorted(str(p.relative_to(root)) for p in after if before.get(p) != after[p])
    records = [name for name in changed if name.endswith("/stage.json")]
    assert [name for name in changed if name not in records] == [
        "lottery/sparsity0.8/sanity.csv", "lottery/sparsity0.8/sanity.md",
        "lottery/sparsity0.8/sanity.png"]  # only the table was written: every run was reused
    reused = {os.path.dirname(name) for name in records}  # each reused run now says what it is (stage.json)
    assert {f"lottery/sparsity0.8/{check}/seed{seed}" for check in ("plain", "rearrange") for seed in (0, 1)} <= reused
    assert all((root / name / "results.json").exists() for name in reused)
    assert "| layerwise rearrange | 2 |" in result.stdout


def test_an_old_ticket_over_clean_trained_levels_is_not_reused_under_random_labels(tmp_path, parse):
    """Under random labels v1 trained the earlier levels of iterative pruning on clean data; such a ticket is not
    the check's and is never reused: its earlier level is a new run (trained on the random labels), so the
    ticket reads other files and its identity differs; it goes beside the old one."""
    from tf_tickets.errors import TicketsError
    from tf_tickets.training.run_dir import RunDir

    root = tmp_path / "grid"
    shutil.copytree(V1 / "grid", root)
    for config in root.rglob("config.json"):
        config.write_text(config.read_text().replace("{root}", str(root)))
    parse("--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1", "--batch_size=50", "--lr=0.05",
          "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false", "--training_steps=12it",
          "--method=lottery", "--levels=2", "--sparsity=0.8", "--seeds=0,1", "--checks=random_labels",
          f"--run_dir={root}")
    grid = sanity.build_grid()
    for seed in (0, 1):
        name = grid.cell_keys[("random_labels", seed)]
        assert (root / name / "results.json").exists()  # v1 finished it
        with pytest.raises(TicketsError, match="holds a run with other settings"):
            RunDir(str(root / name)).check(grid.stages[name].spec.identity())
        assert grid.cells[("random_labels", seed)].startswith(name + "+")  # the new ticket goes beside it
        assert not (root / f"lottery/levels2/sparsity0.8/trained_on_random_labels/seed{seed}/level1").exists()
