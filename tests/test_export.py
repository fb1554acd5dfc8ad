"""Export end to end: a real trained ticket to Keras, SavedModel and sparse TFLite files, each checked on
real test images; sizes, zeros, the int8 path, mixed precision, block-sparse kernels, bad input."""
import json
import os

import numpy as np
import pytest

from tests.conftest import run_cli
from tf_tickets import masks as mask_files

TICKET = ["--model=mnist_lenet_300_100", "--dataset=embedded", "--train_fraction=0.2", "--batch_size=64",
          "--lr=0.05", "--lr_schedule=constant", "--milestones=", "--weight_decay=0", "--validate_every_epoch=false",
          "--training_steps=60it", "--method=magnitude", "--sparsity=0.9"]


@pytest.fixture(scope="module")
def ticket(tmp_path_factory):
    """A finished 90%-sparse LeNet-300-100 run on the shipped Fashion-MNIST subset (trained once)."""
    run_dir = tmp_path_factory.mktemp("export") / "run"
    trained = run_cli("tf_tickets.train", *TICKET, f"--run_dir={run_dir}")
    assert trained.returncode == 0, trained.stderr[-2000:]
    return run_dir


def kept_weights(run_dir) -> int:
    return mask_files.kept(mask_files.load(str(run_dir / "masks.npz")))


def test_run_exports_every_format_checked_on_real_data(ticket, run_main, tmp_path):
    out = tmp_path / "shipped"
    result = run_main("tf_tickets.export.command", f"--run_dir={ticket}", f"--out={out}", "--test_examples=500",
                      "--latency_repeats=5")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "export.json").read_text())
    rows = {row["format"]: row for row in report["formats"]}
    assert set(rows) == {"keras", "saved_model", "tflite", "tflite_int8"}
    assert report["test_examples"] == 500
    assert report["keras_accuracy"] > 0.5  # a trained ticket, on real images (chance is 0.1)

    # Every file is there, and the sizes reported are the files' own.
    assert (out / "model.keras").stat().st_size == rows["keras"]["bytes"]
    assert (out / "model.tflite").stat().st_size == rows["tflite"]["bytes"]
    assert (out / "model_int8.tflite").stat().st_size == rows["tflite_int8"]["bytes"]
    saved = sum(p.stat().st_size for p in (out / "saved_model").rglob("*") if p.is_file())
    assert saved == rows["saved_model"]["bytes"]

    # Float files agree with the Keras model; the zeros of every file are the masks' zeros.
    for name in ("keras", "saved_model"):
        assert rows[name]["parity"]["keras"]["max_abs_diff"] <= 1e-4
    assert rows["tflite"]["runs_on"] and all(rows["tflite"]["parity"][r]["max_abs_diff"] <= 1e-4
                                            for r in rows["tflite"]["runs_on"])
    kept = kept_weights(ticket)
    assert report["nonzero_weights"] == kept
    for name in ("keras", "saved_model", "tflite"):
        assert rows[name]["nonzero_weights"] == kept, name
    assert rows["tflite_int8"]["nonzero_weights"] <= kept  # int8 may round tiny weights to zero, never the reverse

    # The sparse encoding shrinks the file; int8 runs (where XNNPack refuses it, without the delegate).
    assert rows["tflite"]["bytes"] < 0.25 * rows["tflite"]["dense_twin"]["bytes"]
    int8 = rows["tflite_int8"]
    assert int8["runs_on"]
    best = int8["parity"][int8["runs_on"][0]]
    assert best["agreement"] >= 0.9 and best["accuracy"] > 0.5
    for runtime in int8["runs_on"]:
        assert int8["latency_ms"][runtime]["sparse"] > 0

    # The report is printed, and copied into the run directory next to the run's own files.
    assert "| tflite |" in result.stdout and "non-zero" in result.stdout
    assert json.loads((ticket / "export.json").read_text())["formats"] == report["formats"]


def test_the_python_api_takes_a_users_model_and_dataset(tmp_path):
    from tf_tickets import data, models
    from tf_tickets.backend import tf
    from tf_tickets.data import pipeline
    from tf_tickets.export import export
    from tf_tickets.pruning import prune

    images = data.load("embedded")
    model = prune(models.build("mnist_lenet_40_20", images.input_shape, 10, seed=1), "random", sparsity=0.8)
    test = tf.data.Dataset.from_tensor_slices((pipeline.normalize(images.x_test[:300], images),
                                               images.y_test[:300])).batch(64)
    report = export(model, str(tmp_path / "out"), test, formats=["tflite"], latency_repeats=3)
    assert report["test_examples"] == 300
    assert [row["format"] for row in report["formats"]] == ["tflite"]
    assert abs(report["density"] - 0.2) < 0.01
    assert os.listdir(tmp_path / "out") and not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_the_exported_model_keeps_its_layers_initializers():
    """The float32 model that export writes is built from zeros (its weights are copied in), but its layers'
    configs keep their own initializers: a user who re-initialises the shipped Keras file gets the network's."""
    from tf_tickets import models
    from tf_tickets.export import plain
    from tf_tickets.pruning import prune

    model = models.build("mnist_lenet_40_20", (28, 28, 1), 10, seed=1)
    exported = plain.float32_model(prune(model, "random", sparsity=0.8))
    for layer in exported.layers:
        if hasattr(layer, "kernel_initializer"):
            assert layer.get_config()["kernel_initializer"] == model.get_layer(layer.name).get_config()[
                "kernel_initializer"], layer.name
            assert layer.dtype == "float32"


def test_a_format_that_fails_its_check_is_refused_not_shipped(ticket, run_main, tmp_path):
    out = tmp_path / "strict"
    result = run_main("tf_tickets.export.command", f"--run_dir={ticket}", f"--out={out}", "--formats=tflite,tflite_int8",
                      "--min_int8_agreement=1.01", "--test_examples=200", "--latency_repeats=2")
    assert result.returncode == 1
    assert "tflite_int8 refused" in result.stdout
    report = json.loads((out / "export.json").read_text())
    int8 = next(row for row in report["formats"] if row["format"] == "tflite_int8")
    assert int8["file"] is None and "agreement" in int8["refused"]
    assert sorted(os.listdir(out)) == ["export.json", "export.md", "model.tflite"]


def test_a_mixed_precision_run_exports(tmp_path, run_main):
    run_dir = tmp_path / "mixed"
    trained = run_cli("tf_tickets.train", *TICKET[:-3], "--training_steps=10it", "--method=magnitude",
                      "--sparsity=0.8", "--mixed_precision", f"--run_dir={run_dir}")
    assert trained.returncode == 0, trained.stderr[-2000:]
    result = run_main("tf_tickets.export.command", f"--run_dir={run_dir}", "--formats=keras,tflite", "--test_examples=200",
                      "--latency_repeats=2")
    assert result.returncode == 0, result.stderr
    report = json.loads((run_dir / "export" / "export.json").read_text())
    tflite = next(row for row in report["formats"] if row["format"] == "tflite")
    assert tflite["runs_on"] and tflite["nonzero_weights"] == kept_weights(run_dir)


def test_bad_input_is_one_line_exit_2_and_writes_nothing(ticket, run_main, tmp_path):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_bytes((ticket / "config.json").read_bytes())  # started, not finished
    crowded = tmp_path / "crowded"
    crowded.mkdir()
    (crowded / "notes.txt").write_text("mine")
    older = tmp_path / "older"  # a run finished by a version that did not keep its model
    older.mkdir()
    for name in ("config.json", "results.json", "masks.npz"):
        (older / name).write_bytes((ticket / name).read_bytes())
    cases = [([f"--run_dir={unfinished}"], "has not finished"),
             ([f"--run_dir={tmp_path / 'missing'}"], "does not exist"),
             ([f"--run_dir={older}"], "holds no model.keras"),
             ([f"--run_dir={ticket}", "--formats=onnx", f"--out={tmp_path / 'x'}"], "unknown format 'onnx'"),
             ([f"--run_dir={ticket}", f"--out={crowded}"], "holds other files"),
             ([f"--run_dir={ticket}", "--test_examples=0", f"--out={tmp_path / 'y'}"], "at least 1")]
    for args, message in cases:
        result = run_main("tf_tickets.export.command", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["crowded", "older", "unfinished"]
    assert sorted(os.listdir(older)) == ["config.json", "masks.npz", "results.json"]
    assert os.listdir(crowded) == ["notes.txt"] and os.listdir(unfinished) == ["config.json"]


def test_block_masks_keep_whole_blocks_and_run_sparse_in_tflite():
    from tf_tickets import models
    from tf_tickets.export import formats, litert
    from tf_tickets.pruning import current_masks, prune, strip

    network = models.build("mnist_lenet_300_100", (28, 28, 1), 10, seed=0)
    unstructured = prune(network, "magnitude", sparsity=0.9)
    blocked = prune(network, "magnitude", sparsity=0.9, block=4)
    masks = current_masks(blocked)
    for key, mask in masks.items():  # [in, out]: every 4 consecutive inputs of an output share a mask value
        rows = mask.shape[0] - mask.shape[0] % 4
        groups = mask[:rows].reshape(rows // 4, 4, -1)
        assert (groups.min(axis=1) == groups.max(axis=1)).all(), key
    assert abs(mask_files.density(masks) - 0.1) < 0.002
    # The same layer budget: per-layer counts within a block of the unstructured masks'.
    for key, mask in current_masks(unstructured).items():
        assert abs(int(mask.sum()) - int(masks[key].sum())) <= 4 * mask.shape[1]
    # TFLite stores the unstructured kernels sparse but densifies them to run; block-sparse ones run sparse.
    assert litert.operators(formats.tflite_bytes(strip(unstructured))).count("DENSIFY") == 3
    assert litert.operators(formats.tflite_bytes(strip(blocked))).count("DENSIFY") == 0


def test_block_top_k_hits_the_count_and_ranks_blocks_by_mean_score():
    score = np.arange(24, dtype=float).reshape(6, 4)  # inputs 6 (blocks of 4: one full, one of 2), outputs 4
    mask = mask_files.block_top_k(score, count=6, block=4)
    # Highest block means: column 3's second block (rows 4-5: mean 21) then column 2's (mean 20) ... nearest 6
    assert mask.sum() == 6 and mask[4:, 3].all() and mask[4:, 2].all() and mask[4:, 1].all()
    assert mask[:4].sum() == 0
    assert mask_files.block_top_k(score, count=24, block=4).all()
    assert not mask_files.block_top_k(score, count=0, block=4).any()
