"""Tables for benchmarks/jackpot_experiment.sh: accuracies and mask overlaps, from the grid's run directories.

    python benchmarks/jackpot_analysis.py RUNS_ROOT OUT_PREFIX      # writes OUT_PREFIX.md

For each seed and sparsity: the dense network (pretrain), magnitude pruning of its weights without
retraining (evaluated here), the jackpot (no weight trained), learning-rate rewinding (magnitude,
retrained); and the jackpot mask's IoU with the magnitude start, a global SNIP mask of the trained
weights and a random mask with the jackpot's per-layer counts, each as a ratio to chance.
"""
import json
import os
import statistics
import sys

import numpy as np

import tf_tickets
from tf_tickets import data, jackpot, masks, models
from tf_tickets.backend import keras
from tf_tickets.callbacks import rewind
from tf_tickets.data import pipeline
from tf_tickets.files import write_atomic
from tf_tickets.pruning import Pruner, wrap


def results(path):
    with open(os.path.join(path, "results.json")) as f:
        return json.load(f)["test_accuracy"]


def evaluate(model, fmnist):
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model.evaluate(pipeline.eval_dataset(fmnist, 500), verbose=0)[1]


def main(root, prefix):
    fmnist = data.load("embedded")
    batch = (fmnist.x_train[:1000].astype(np.float32) / 255.0 - fmnist.mean[0]) / fmnist.std[0], fmnist.y_train[:1000]
    rows, overlap_rows = [], []
    for sparsity in (0.9, 0.98):
        cells = {k: [] for k in ("dense", "magnitude, no retraining", "jackpot (no weight trained)",
                                 "magnitude, retrained (lr rewinding)")}
        ious = {k: [] for k in ("magnitude start", "SNIP (trained weights)", "random, same layer counts")}
        for seed in (0, 1, 2):
            pretrain = os.path.join(root, f"pretrain/clean/seed{seed}")
            trained = models.build("cifar_resnet_20", fmnist.input_shape, fmnist.num_classes)
            rewind.restore(trained, rewind.load(os.path.join(pretrain, "final_weights.npz"))[0])
            start = jackpot.magnitude_start(trained, sparsity)
            found = masks.load(os.path.join(root, f"jackpot/sparsity{sparsity:g}/plain/seed{seed}/masks.npz"))
            cells["dense"].append(results(pretrain))
            cells["magnitude, no retraining"].append(evaluate(tf_tickets.prune(trained, masks=start), fmnist))
            cells["jackpot (no weight trained)"].append(results(os.path.join(root, f"jackpot/sparsity{sparsity:g}/plain/seed{seed}")))
            cells["magnitude, retrained (lr rewinding)"].append(
                results(os.path.join(root, f"lr_rewinding/sparsity{sparsity:g}/plain/seed{seed}")))
            snip = Pruner("snip", sparsity, "global", seed).masks(wrap(trained), batch=batch)
            rng = np.random.default_rng(seed)
            random = {k: masks.top_k([rng.random(m.shape)], [int(m.sum())])[0] for k, m in found.items()}
            for name, other in zip(ious, (start, snip, random)):
                got, chance = masks.overlap(found, other)["iou"], masks.chance_overlap(found, other)["iou"]
                ious[name].append((got, got / chance))
        for name, values in cells.items():
            rows.append(f"| {sparsity:g} | {name} | {100 * statistics.fmean(values):.2f} ± "
                        f"{100 * statistics.stdev(values):.2f} |")
        for name, values in ious.items():
            overlap_rows.append(f"| {sparsity:g} | {name} | {statistics.fmean(v[0] for v in values):.3f} | "
                                f"{statistics.fmean(v[1] for v in values):.2f} |")
    text = "\n".join(["| sparsity | ticket | test accuracy (%) |", "|---|---|---|", *rows, "",
                      "| sparsity | jackpot mask vs | IoU | IoU / chance |", "|---|---|---|---|", *overlap_rows])
    write_atomic(prefix + ".md", text + "\n")
    print(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
