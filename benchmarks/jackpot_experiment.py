"""Does a lottery jackpot match retraining without changing a weight (Zhang et al.)? Measured on the full
Fashion-MNIST, with the search as the reference runs it and as long as the retraining it is compared with.

For each seed a dense network is trained to convergence (`tf_tickets.train`, cosine schedule, kept with
--save_weights). Then, at each sparsity, from its trained weights and the same magnitude mask (global
magnitude, classifier dense, as the jackpot's search starts):

    magnitude, no retraining          the mask applied, nothing else
    magnitude, BatchNorm recalibrated the mask applied, BatchNorm's statistics recomputed on training data
    jackpot (no weight trained)       `train --method=jackpot`: scores searched for --budget_epochs with the
                                      reference's defaults (SGD 0.1, momentum 0.9, wd 5e-4 on the scores,
                                      cosine, batch 256, rate 1, BatchNorm in training mode)
    learning-rate rewinding           the same mask, the trained weights retrained --budget_epochs with the
                                      cosine schedule restarted (`train --start_from --method=magnitude`)
    gradual magnitude pruning         TF-MOT's `PolynomialDecay` from the trained weights (per layer, by
                                      magnitude, classifier dense), over the first two thirds of
                                      --budget_epochs of retraining, then fine-tuned to their end

Each cell reports test accuracy and the accuracy on the (clean, unaugmented) training set. At the first
sparsity, for seed 0, the search is also run for other lengths (--sweep, in multiples of the budget) and
once with BatchNorm frozen (the project's earlier default). Every run is resumable: dense and jackpot and
rewinding are run directories, the other cells JSON files under --out.

    python benchmarks/jackpot_experiment.py --model=mnist_lenet_300_100 --dense_epochs=20 --budget_epochs=5 \\
        --out=runs/jackpot-lenet --data_dir=../shared/data/fashion-mnist
    python benchmarks/jackpot_report.py runs/jackpot-lenet runs/jackpot-resnet20 benchmarks/results/jackpot_fashion_mnist
"""
import argparse
import os
import subprocess
import sys
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)  # run from a checkout

import numpy as np  # noqa: E402

from tf_tickets import data as datasets  # noqa: E402
from tf_tickets import jackpot, models  # noqa: E402
from tf_tickets.backend import keras, tfmot  # noqa: E402
from tf_tickets.callbacks import rewind  # noqa: E402
from tf_tickets.data import pipeline  # noqa: E402
from tf_tickets.files import read_json, write_json  # noqa: E402
from tf_tickets.pruning import prune, strip, wrap  # noqa: E402
from tf_tickets.training.optimizers import make_optimizer  # noqa: E402

BATCH = 128


def train_cli(run_dir, *args, data_dir):
    """`python -m tf_tickets.train ...` in its own process (resumable; reused when finished)."""
    command = [sys.executable, "-m", "tf_tickets.train", "--dataset=fashion_mnist", f"--data_dir={data_dir}",
               "--validate_every_epoch=false", f"--run_dir={run_dir}", *args]
    done = subprocess.run(command, cwd=CHECKOUT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"jackpot_experiment: {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return read_json(os.path.join(run_dir, "results.json"))


def arrays(data):
    x_train = np.asarray(pipeline.normalize(data.x_train, data))
    x_test = np.asarray(pipeline.normalize(data.x_test, data))
    return (x_train, data.y_train), (x_test, data.y_test)


def accuracy(model, xy):
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return float(model.evaluate(xy[0], xy[1], batch_size=500, verbose=0)[1])


def trained_model(name, data, weights_path):
    model = models.build(name, data.input_shape, data.num_classes, seed=0)
    rewind.restore(model, rewind.load(weights_path)[0])
    return model


def recalibrate(model, x, seed, batches=40, batch_size=256):
    """BatchNorm's moving statistics recomputed as the mean of `batches` training batches' statistics (each
    layer's momentum k/(k+1) at the k-th batch); no weight changes."""
    layers = [layer for layer in models.flat_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    if not layers:
        return False
    momenta = [layer.momentum for layer in layers]
    rng = np.random.default_rng(seed)
    for k in range(batches):
        for layer in layers:
            layer.momentum = k / (k + 1)
        model(x[rng.choice(len(x), batch_size, replace=False)], training=True)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum
    return True


def gradual(name, data, weights_path, masks_like, sparsity, epochs, seed, train_xy, test_xy):
    """TF-MOT's gradual magnitude pruning from the trained weights: each non-classifier layer pruned to the
    sparsity that leaves the jackpot's total count, `PolynomialDecay` over two thirds of the run."""
    counts = {k: m.size for k, m in masks_like.items()}
    classifier = models.prunable_layers(trained_model(name, data, weights_path))[-1].name
    others = sum(v for k, v in counts.items() if k != classifier)
    keep = int((1 - sparsity) * sum(counts.values())) - counts[classifier]
    layer_sparsity = 1 - keep / others
    steps_per_epoch = pipeline.steps_per_epoch(len(data.x_train), BATCH)
    total = epochs * steps_per_epoch
    end = max(1, (2 * total // 3) // 10 * 10)
    schedule = lambda layer: tfmot.sparsity.keras.PolynomialDecay(0.0, layer_sparsity, 0, end, frequency=10)  # noqa
    model = wrap(trained_model(name, data, weights_path), "skip_classifier", schedule_for=schedule)
    lr = keras.optimizers.schedules.CosineDecay(0.1, total)
    model.compile(make_optimizer("sgd", lr, 0.9, 1e-4), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(pipeline.train_dataset(data, BATCH, seed, 0, epochs), epochs=epochs, steps_per_epoch=steps_per_epoch,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep()], verbose=0)
    plain = strip(model)
    kept = sum(int(np.count_nonzero(layer.kernel.numpy())) for layer in models.prunable_layers(plain))
    return {"test": accuracy(plain, test_xy), "train": accuracy(plain, train_xy), "kept": kept}


def cell(path, compute):
    """A JSON cell under --out, computed once."""
    found = read_json(path)
    if found is None:
        started = time.time()
        found = dict(compute(), seconds=round(time.time() - started, 1))
        write_json(path, found)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mnist_lenet_300_100")
    parser.add_argument("--data_dir", default=os.path.join(CHECKOUT, "..", "shared", "data", "fashion-mnist"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--dense_epochs", type=int, default=20)
    parser.add_argument("--budget_epochs", type=int, default=5, help="retraining, search and gradual pruning")
    parser.add_argument("--sparsities", default="0.9,0.95")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--sweep", default="0.5,2", help="other search lengths, as multiples of the budget")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    data = datasets.load("fashion_mnist", args.data_dir)
    train_xy, test_xy = arrays(data)
    common = [f"--model={args.model}", f"--batch_size={BATCH}", "--lr=0.1", "--lr_schedule=cosine", "--milestones=",
              "--weight_decay=1e-4"]
    sparsities = [float(s) for s in args.sparsities.split(",")]
    started = time.time()
    for seed in (int(s) for s in args.seeds.split(",")):
        dense_dir = os.path.join(out, f"dense/seed{seed}")
        dense = train_cli(dense_dir, *common, f"--seed={seed}", f"--training_steps={args.dense_epochs}ep",
                          "--save_weights", data_dir=args.data_dir)
        weights = os.path.join(dense_dir, "final_weights.npz")
        cell(os.path.join(out, f"dense/seed{seed}/accuracy.json"),
             lambda: {"test": dense["test_accuracy"], "train": accuracy(trained_model(args.model, data, weights), train_xy)})
        print(f"[{time.time() - started:.0f} s] seed {seed}: dense {100 * dense['test_accuracy']:.2f}%", flush=True)
        for sparsity in sparsities:
            here = os.path.join(out, f"sparsity{sparsity:g}/seed{seed}")
            start = jackpot.magnitude_start(trained_model(args.model, data, weights), sparsity)

            def magnitude(recalibrated):
                model = strip(prune(trained_model(args.model, data, weights), masks=start))
                has_batch_norm = recalibrate(model, train_xy[0], seed) if recalibrated else None
                return {"test": accuracy(model, test_xy), "train": accuracy(model, train_xy),
                        **({"batch_norm": has_batch_norm} if recalibrated else {})}

            cell(os.path.join(here, "magnitude.json"), lambda: magnitude(False))
            cell(os.path.join(here, "magnitude_recalibrated.json"), lambda: magnitude(True))
            lengths = [1.0] + ([float(m) for m in args.sweep.split(",") if m] if seed == 0 and sparsity == sparsities[0] else [])
            for multiple in lengths:
                steps = max(1, round(multiple * args.budget_epochs * len(data.x_train) / 256))
                run = os.path.join(here, "jackpot" if multiple == 1 else f"jackpot_x{multiple:g}")
                found = train_cli(run, *common, f"--seed={seed}", "--method=jackpot", f"--start_from={dense_dir}",
                                  f"--sparsity={sparsity}", f"--training_steps={steps}it", data_dir=args.data_dir)
                cell(os.path.join(run, "accuracy.json"), lambda: {
                    "test": found["test_accuracy"],
                    "train": accuracy(keras.models.load_model(os.path.join(run, "model.keras"), compile=False),
                                      train_xy)})
            if seed == 0 and sparsity == sparsities[0]:
                frozen = os.path.join(here, "jackpot_frozen_batch_norm")
                found = train_cli(frozen, *common, f"--seed={seed}", "--method=jackpot", f"--start_from={dense_dir}",
                                  f"--sparsity={sparsity}", "--nojackpot_batch_statistics",
                                  f"--training_steps={max(1, round(args.budget_epochs * len(data.x_train) / 256))}it",
                                  data_dir=args.data_dir)
                cell(os.path.join(frozen, "accuracy.json"), lambda: {"test": found["test_accuracy"]})
            rewound = os.path.join(here, "lr_rewinding")
            found = train_cli(rewound, *common, f"--seed={seed}", "--method=magnitude", f"--start_from={dense_dir}",
                              f"--sparsity={sparsity}", "--budget_options=keep_classifier_dense=true",
                              f"--training_steps={args.budget_epochs}ep", data_dir=args.data_dir)
            cell(os.path.join(rewound, "accuracy.json"), lambda: {
                "test": found["test_accuracy"],
                "train": accuracy(keras.models.load_model(os.path.join(rewound, "model.keras"), compile=False),
                                  train_xy)})
            cell(os.path.join(here, "gradual.json"), lambda: gradual(args.model, data, weights, start, sparsity,
                                                                     args.budget_epochs, seed, train_xy, test_xy))
            print(f"[{time.time() - started:.0f} s] seed {seed}, sparsity {sparsity:g}: done", flush=True)


if __name__ == "__main__":
    main()
