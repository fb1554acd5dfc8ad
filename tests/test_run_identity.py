"""Run directories made by earlier versions are recognised and reused: a run's identity (config.json) is
unchanged by the new run seam. The fixtures in tests/fixtures/v1 were written by main at dbf46c7."""
import json
import shutil

import pytest
from absl import flags

from tests.conftest import REPO
from tf_tickets import compare, harness, sanity, train  # noqa: F401  (define the flags)

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


@pytest.mark.parametrize("method", sorted(GRIDS))
def test_every_run_of_every_procedure_keeps_its_identity(method, parse):
    parse(*TINY, "--train_fraction=0.25", f"--method={method}", "--sparsity=0.9", "--seeds=0,1", "--run_dir=/ROOT",
          *GRIDS[method])
    grid = sanity.build_grid()
    expected = {k.split("/", 2)[2]: v for k, v in IDENTITIES.items() if k.startswith(f"grid/{method}/")}
    assert sorted(grid.stages) == sorted(expected)
    for name, stage in grid.stages.items():
        assert stage.spec.identity() == expected[name], name


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


def test_a_finished_grid_of_the_old_layout_is_reused(tmp_path, run_main):
    root = tmp_path / "grid"
    shutil.copytree(V1 / "grid", root)
    for config in root.rglob("config.json"):  # the fixture's paths were written relative to its root
        config.write_text(config.read_text().replace("{root}", str(root)))
    before = files_and_times(root)
    result = run_main("tf_tickets.sanity", "--model=mnist_lenet_40_20", "--dataset=embedded", "--train_fraction=0.1",
                      "--batch_size=50", "--lr=0.05", "--lr_schedule=constant", "--milestones=",
                      "--validate_every_epoch=false", "--training_steps=12it", "--method=lottery", "--levels=2",
                      "--sparsity=0.8", "--seeds=0,1", "--checks=random_labels,rearrange", f"--run_dir={root}")
    assert result.returncode == 0, result.stderr[-2000:]
    after = files_and_times(root)
    changed = sorted(str(p.relative_to(root)) for p in after if before.get(p) != after[p])
    assert changed == ["lottery/sparsity0.8/sanity.csv", "lottery/sparsity0.8/sanity.md",
                       "lottery/sparsity0.8/sanity.png"]  # only the table was written: every run was reused
    assert "| layerwise rearrange | 2 |" in result.stdout
