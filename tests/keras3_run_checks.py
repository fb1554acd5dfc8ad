"""The rest of the API on a Keras 3 model: `sanity_check` (runs, table, verdicts, reuse), `jackpot.search`,
`combine_masks` and `overlap`, and bad input on each, checked on one backend.

tests/test_keras3_runs.py calls these checks in the test process (Keras 3 on TensorFlow, beside tf_keras);
tests/test_keras3_runs_backends.py runs this file on JAX and PyTorch, one process each, where importing
TensorFlow fails: `python tests/keras3_run_checks.py checks OUT_DIR [--reference]` runs every check (and the
run below, uninterrupted), and `python tests/keras3_run_checks.py resume RUN_DIR` trains the run that test kills
and resumes.
"""
import io
import json
import os
import sys
from contextlib import redirect_stdout

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script too
from tests.no_tensorflow import block_tensorflow  # noqa: E402

if __name__ == "__main__" and BACKEND != "tensorflow":
    block_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tf_tickets  # noqa: E402
from tf_tickets import TicketsError, cli, jackpot, overlap  # noqa: E402
from tf_tickets import data as datasets  # noqa: E402
from tf_tickets import masks as mask_ops  # noqa: E402
from tf_tickets.models.keras3 import to_numpy  # noqa: E402
from tf_tickets.pruning import current_masks, targets  # noqa: E402

PLAIN = "none (the method itself)"
RESUME_EPOCHS = 12  # long enough that the test kills the run between its first checkpoint and its end


def real_data(train: int = 1200, test: int = 400):
    """A shuffled slice of the shipped Fashion-MNIST subset, as float images in [0, 1] and integer labels."""
    data = datasets.load("embedded")
    order = np.random.default_rng(0).permutation(len(data.y_train))[:train]
    return ((data.x_train[order].astype(np.float32) / 255, data.y_train[order]),
            (data.x_test[:test].astype(np.float32) / 255, data.y_test[:test]))


class Batches(keras.utils.PyDataset):
    """(x, y) batches of arrays, in order."""

    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __getitem__(self, index):
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[window], self.y[window]


def build(seed: int, batch_norm: bool = False):
    """A small MLP (optionally with BatchNorm); its layers unnamed, so that every build numbers them anew."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Dense(48)(keras.layers.Flatten()(inputs))
    if batch_norm:
        x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def weights_of(model):
    return [to_numpy(w).copy() for w in model.weights]


def same_weights(model, before) -> bool:
    return len(model.weights) == len(before) and all(np.array_equal(to_numpy(w), b)
                                                      for w, b in zip(model.weights, before))


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message and message, message
    return message


def check_sanity_check(root: str):
    """A sanity grid on a Keras 3 model: the table and verdicts, a run directory per run; a second call reuses
    every finished run (nothing is trained or written again). Returns the run directories of the plain cells."""
    (x, y), (x_test, y_test) = real_data()
    args = (build, Batches(x, y, 100), Batches(x_test, y_test, 200))
    settings = dict(method="snip", sparsity=0.8, checks=["rearrange"], seeds=[0, 1], epochs=1, lr=0.1, run_dir=root)
    report = tf_tickets.sanity_check(*args, **settings)
    assert [row["check"] for row in report.rows] == [PLAIN, "layerwise rearrange"], report.rows
    assert report.verdicts()["layerwise rearrange"] in ("does not", "uses this information"), report.verdicts()
    assert report.rows[0]["n"] == 2 and report.rows[0]["mean"] > 0.4, report.rows  # chance is 0.1
    assert os.path.isfile(os.path.join(report.directory, "sanity.md"))
    runs = [os.path.join(root, "snip", "sparsity0.8", cell, f"seed{seed}") for cell in ("plain", "rearrange")
            for seed in (0, 1)]
    for run in runs:
        found = set(os.listdir(run))
        assert {"config.json", "results.json", "masks.npz", "model.keras", "metrics.json", "sparsity.md"} <= found
        assert os.listdir(os.path.join(run, "checkpoints")) == ["epoch-1.npz"]
        results = json.load(open(os.path.join(run, "results.json")))
        assert results["steps"] == 12 and abs(results["density"] - 0.2) < 1e-3, results
        assert json.load(open(os.path.join(run, "config.json")))["model"].endswith(f":keras3-{BACKEND}")
    stripped = keras.saving.load_model(os.path.join(runs[0], "model.keras"))  # plain Keras layers, masked zeros
    masks = mask_ops.load(os.path.join(runs[0], "masks.npz"))
    for layer in stripped.layers:
        if layer.name in masks:
            assert np.all(to_numpy(layer.kernel)[masks[layer.name] == 0] == 0)

    stamps = {run: os.stat(os.path.join(run, "results.json")).st_mtime_ns for run in runs}
    again = tf_tickets.sanity_check(*args, **settings)
    assert again.rows == report.rows
    assert {run: os.stat(os.path.join(run, "results.json")).st_mtime_ns for run in runs} == stamps
    return runs[:2]


def train_dense(model, x, y, epochs: int = 2):
    model.compile(keras.optimizers.Adam(0.003), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=100, epochs=epochs, verbose=0, shuffle=False)
    return model


def check_jackpot_search():
    """A jackpot on real data: no kept weight changes, each layer keeps the magnitude start's count, BatchNorm's
    statistics are the search's (its scale and offset frozen), the pre-trained model is left as it was, and the
    jackpot's accuracy is well above chance."""
    (x, y), (x_test, y_test) = real_data()
    model = train_dense(build(0, batch_norm=True), x, y)
    before = weights_of(model)
    start = jackpot.magnitude_start(model, 0.8)
    ticket, history = jackpot.search(model, Batches(x, y, 50), sparsity=0.8, epochs=2, verbose=0)
    assert same_weights(model, before)
    found = current_masks(ticket)
    assert {k: int(m.sum()) for k, m in found.items()} == {k: int(m.sum()) for k, m in start.items()}
    assert sum(history.history["flips"].values()) > 0, history.history["flips"]  # the search moved the masks
    trained = {layer.name: layer for layer in model.layers}
    for target in targets(ticket):
        kernel, mask = to_numpy(target.weight), found[target.key] > 0
        assert np.array_equal(kernel[mask], to_numpy(trained[target.key].kernel)[mask])
        assert np.all(kernel[~mask] == 0)
    norm = next(layer for layer in ticket.layers if isinstance(layer, keras.layers.BatchNormalization))
    norm_before = trained[norm.name]
    assert np.array_equal(to_numpy(norm.gamma), to_numpy(norm_before.gamma))
    assert not np.array_equal(to_numpy(norm.moving_mean), to_numpy(norm_before.moving_mean))
    ticket.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    accuracy = ticket.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    assert accuracy > 0.5, accuracy


def check_combine_masks_and_overlap(runs, out: str, command: bool = True):
    """Siblings' union and intersection at exactly one member's count, keyed by the first one's layer names;
    the ticket they make; the overlap of two Keras 3 runs, and (`command`) `python -m tf_tickets.overlap`'s
    output (its main, in this process: where TensorFlow cannot be imported)."""
    siblings = [build(seed) for seed in (1, 2, 3)]
    alone = current_masks(tf_tickets.prune(siblings[0], "magnitude", 0.8))
    for op in ("union", "intersection"):
        combined = tf_tickets.combine_masks(siblings, op, sparsity=0.8)
        assert list(combined) == list(alone)
        assert mask_ops.kept(combined) == mask_ops.kept(alone)
        ticket = tf_tickets.prune(build(0), masks=combined)  # built again: its layers named anew, matched by position
        assert mask_ops.kept(current_masks(ticket)) == mask_ops.kept(alone)
    report = overlap.report(runs)
    assert report["matrix"]["iou"][0][0] == 1.0 and 0 < report["matrix"]["iou"][0][1] < 1
    if not command:
        return
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = ["tf_tickets.overlap", *runs, f"--out={out}"]
    try:  # what `python -m tf_tickets.overlap RUN RUN --out=OUT` runs
        with redirect_stdout(printed), pytest.raises(SystemExit) as done:
            cli.run(overlap.main, "tf_tickets.overlap", takes_arguments=overlap.TAKES_ARGUMENTS)
    finally:
        sys.argv = argv
    assert done.value.code in (0, None) and "ratio to chance" in printed.getvalue()
    assert os.path.isfile(os.path.join(out, "overlap.json"))


def check_bad_input_is_one_line(root: str):
    """One line each, the user's model and data untouched, no run directory left behind."""
    (x, y), (x_test, y_test) = real_data(200, 100)
    train, test = Batches(x, y, 50), Batches(x_test, y_test, 50)
    x_before = x.copy()
    with pytest.raises(TicketsError) as error:
        tf_tickets.sanity_check(lambda seed: "a model", train, test, run_dir=root)
    assert "expected a Keras model" in one_line(error)
    with pytest.raises(TicketsError) as error:
        tf_tickets.sanity_check(build, (x, y), (x_test, y_test), run_dir=root)
    assert "pass batch_size" in one_line(error)
    with pytest.raises(TicketsError) as error:
        tf_tickets.sanity_check(build, train, test, method="gmp", sparsity=0.5, checks=[], seeds=[0], run_dir=root)
    assert "tf_keras models only" in one_line(error)
    assert not os.path.exists(root) or not any(files for _, _, files in os.walk(root))
    model = build(0)
    before = weights_of(model)
    with pytest.raises(TicketsError) as error:
        jackpot.search(model, (x, y), sparsity=0.8)
    assert "batches" in one_line(error)
    with pytest.raises(TicketsError) as error:
        jackpot.search(model, train, sparsity=0.8, lr=-1.0)
    assert "learning rate" in one_line(error)
    with pytest.raises(TicketsError) as error:
        jackpot.search(tf_tickets.prune(model, "magnitude", 0.5), train, sparsity=0.8)
    assert "carries masks already" in one_line(error)
    with pytest.raises(TicketsError) as error:
        tf_tickets.combine_masks([model], "union", sparsity=0.8)
    assert "at least two networks" in one_line(error)
    with pytest.raises(TicketsError) as error:
        tf_tickets.combine_masks([model, build(1)], "xor", sparsity=0.8)
    assert "unknown mask combination" in one_line(error)
    assert same_weights(model, before) and np.array_equal(x, x_before)


def train_resumable(run_dir: str):
    """One run long enough to be killed in the middle (`tests/test_keras3_runs_backends.py`)."""
    (x, y), (x_test, y_test) = real_data()
    return tf_tickets.sanity_check(build, Batches(x, y, 100), Batches(x_test, y_test, 200), method="magnitude",
                                   sparsity=0.8, checks=[], seeds=[0], epochs=RESUME_EPOCHS, run_dir=run_dir)


def main(out: str, reference: bool):
    runs = check_sanity_check(os.path.join(out, "grid"))
    check_jackpot_search()
    check_combine_masks_and_overlap(runs, os.path.join(out, "overlap"))
    check_bad_input_is_one_line(os.path.join(out, "bad"))
    if reference:  # the uninterrupted run the killed one is compared with
        train_resumable(os.path.join(out, "uninterrupted"))
    if BACKEND != "tensorflow":
        assert "tensorflow" not in sys.modules


if __name__ == "__main__":
    if sys.argv[1] == "resume":
        train_resumable(sys.argv[2])
    else:
        main(sys.argv[2], reference="--reference" in sys.argv)
