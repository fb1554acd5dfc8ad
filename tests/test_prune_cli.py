"""Pruning from the command line: tickets in run directories, pruning mid-run, bad input."""
import json

import numpy as np
import pytest

from tests.conftest import run_cli
from tf_tickets import figures

QUICK = ["--model=mnist_conv_small", "--dataset=embedded", "--batch_size=64", "--lr=0.05",
         "--lr_schedule=constant", "--milestones=", "--validate_every_epoch=false"]


def read_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.slow
def test_snip_ticket_run_keeps_masks_and_report(tmp_path):
    run_dir = tmp_path / "snip"
    result = run_cli("tf_tickets.train", *QUICK, "--method=snip", "--sparsity=0.9", "--training_steps=1ep",
                     f"--run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = read_json(run_dir / "sparsity.json")
    total = sum(r["size"] for r in rows)
    assert sum(r["kept"] for r in rows) == int(total * (1 - 0.9))
    with np.load(run_dir / "masks.npz", allow_pickle=False) as masks:
        assert sorted(masks.files) == sorted(r["name"] for r in rows)
        assert sum(int(masks[k].sum()) for k in masks.files) == sum(r["kept"] for r in rows)
    results = read_json(run_dir / "results.json")
    assert results["density"] == pytest.approx(int(total * 0.1) / total, abs=1e-6)
    assert "| total |" in result.stdout and "density 0.1000" in result.stdout
    flags_txt = (run_dir / "flags.txt").read_text()  # the deprecated --method, spelled as what it stands for
    assert "--criterion=snip" in flags_txt and "--method=" not in flags_txt
    assert result.stderr.count("--method is deprecated: use --criterion") == 1

    # The saved masks reproduce the ticket through --mask_file.
    again = tmp_path / "from_file"
    result = run_cli("tf_tickets.train", *QUICK, f"--mask_file={run_dir / 'masks.npz'}", "--training_steps=5it",
                     f"--run_dir={again}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_json(again / "sparsity.json") == rows


@pytest.mark.slow
def test_prune_at_a_step_of_a_dense_run(tmp_path):
    run_dir = tmp_path / "late"
    result = run_cli("tf_tickets.train", *QUICK, "--method=magnitude", "--budget=layerwise", "--sparsity=0.5",
                     "--prune_at=30it", "--training_steps=60it", f"--run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pruning at step 30" in result.stderr
    assert all(r["kept"] == int(r["size"] * (1 - 0.5)) for r in read_json(run_dir / "sparsity.json"))


@pytest.mark.parametrize("args, message", [
    (["--method=snip", "--sparsity=1.0"], "sparsity must be in [0, 1)"),
    (["--method=snip", "--sparsity=-0.5"], "sparsity must be in [0, 1)"),
    (["--method=oracle"], "unknown criterion 'oracle'"),
    (["--method=random", "--budget=fair"], "unknown budget 'fair'"),
    (["--method=random", "--policy=odd_layers"], "unknown pruning policy 'odd_layers'"),
    (["--method=random", "--prune_at=soon"], "malformed duration"),
    (["--method=random", "--budget_options=linear_keep_ratio"], "malformed --budget_options"),
    (["--mask_file=/no/such/masks.npz"], "mask file /no/such/masks.npz does not exist"),
])
def test_bad_pruning_input_is_one_line_exit_2_nothing_written(tmp_path, args, message, run_main):
    run_dir = tmp_path / "run"
    result = run_main("tf_tickets.train", *QUICK, "--training_steps=5it", *args, f"--run_dir={run_dir}")
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("tf_tickets.train: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr
    assert not run_dir.exists()


def test_mask_file_of_another_model_and_labels_beyond_the_classes(tmp_path, run_main):
    masks = tmp_path / "masks.npz"
    np.savez(masks, conv1=np.ones((3, 3, 1, 8), np.uint8))
    result = run_main("tf_tickets.train", *QUICK, f"--mask_file={masks}", "--training_steps=5it",
                      f"--run_dir={tmp_path / 'a'}")
    assert result.returncode == 2 and "do not match the model" in result.stderr
    assert not (tmp_path / "a").exists()
    # Labels beyond the data set's classes (only shapes matter here, so the images are synthetic).
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x_train=rng.integers(0, 255, (200, 28, 28, 1), dtype=np.uint8),
             y_train=np.arange(200) % 12, x_test=rng.integers(0, 255, (50, 28, 28, 1), dtype=np.uint8),
             y_test=np.arange(50) % 10)
    result = run_main("tf_tickets.train", *QUICK, "--dataset=fashion_mnist", f"--data_dir={tmp_path}",
                      "--method=snip", "--training_steps=5it", f"--run_dir={tmp_path / 'b'}")
    assert result.returncode == 2 and "label" in result.stderr.lower(), result.stderr[-1500:]
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_compare_trains_each_ticket_and_writes_a_table(tmp_path):
    root = tmp_path / "cmp"
    result = run_cli("tf_tickets.compare", *QUICK, "--tickets=dense,random@layerwise", "--sparsity=0.5",
                     "--training_steps=5it", f"--run_dir={root}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_json(root / "dense" / "results.json")["steps"] == 5
    assert all(r["kept"] == int(r["size"] * (1 - 0.5)) for r in read_json(root / "random-layerwise" / "sparsity.json"))
    table = (root / "tickets.md").read_text()
    assert "| dense |" in table and "| random@layerwise |" in table
    accuracies = [read_json(root / d / "results.json")["test_accuracy"] for d in ("dense", "random-layerwise")]
    plot = figures.plotted(root / "tickets.png")  # the bars show the runs' accuracies, in table order
    assert plot["labels"] == ["dense", "random@layerwise"] and plot["values"] == pytest.approx(accuracies)
