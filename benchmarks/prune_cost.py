"""What pruning costs, as ratios measured side by side in one run (absolute times mean little here).

1. A training step of a masked model (TF-MOT wrappers, fixed masks) over the same dense model's step
   (goal <= 1.03).
2. One scoring call of SNIP, GraSP and one SynFlow round over one forward+backward pass of the same
   batch (goals <= 1.5 for SNIP, <= 3.5 for GraSP).
3. Smart-ratio layer budgets for cifar_vgg_19_bn, in seconds (goal < 1 s).

    python benchmarks/prune_cost.py [--model=cifar_resnet_20] [--batch_size=100] [--repeats=7]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

import numpy as np  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402

import tf_tickets  # noqa: E402
from tf_tickets import budgets, criteria, models  # noqa: E402
from tf_tickets.backend import keras, tf  # noqa: E402
from tf_tickets.pruning import targets  # noqa: E402


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(fns, repeats):
    """Median seconds of each fn, measured in alternation so that machine noise hits all alike."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def train_step_ratio(model_name, shape, batch_size, repeats, steps=10):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch_size, *shape)).astype(np.float32))
    y = tf.constant(rng.integers(0, 10, batch_size))
    dense = models.build(model_name, shape, 10, seed=0)
    masked = tf_tickets.prune(dense, "random", 0.9, budget="smart_ratio")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for model in (dense, masked):
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss)
    step = tfmot.sparsity.keras.UpdatePruningStep()
    step.set_model(masked)
    step.on_train_begin()
    for _ in range(3):
        dense.train_on_batch(x, y)
        masked.train_on_batch(x, y)

    def run(model):
        return lambda: [model.train_on_batch(x, y) for _ in range(steps)]

    t = interleaved({"dense": run(dense), "masked": run(masked)}, repeats)
    return t["masked"] / t["dense"]


def scoring_ratios(model_name, shape, batch_size, repeats):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, *shape)).astype(np.float32)
    y = np.arange(batch_size) % 10
    model = models.build(model_name, shape, 10, seed=0)
    weights = [layer.kernel for layer in models.prunable_layers(model)]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def forward_backward():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return [g.numpy() for g in tape.gradient(loss, weights)]

    fns = {"forward+backward": forward_backward}
    for name in ("snip", "grasp", "synflow"):
        criterion = criteria.make(name)
        fns[name] = (lambda c: lambda: c.score(model, weights, batch=(x, y), seed=0))(criterion)
    for fn in fns.values():
        fn()  # trace once
    t = interleaved(fns, repeats)
    return {name: t[name] / t["forward+backward"] for name in ("snip", "grasp", "synflow")}


def smart_ratio_seconds(repeats):
    model = models.build("cifar_vgg_19_bn", (32, 32, 3), 10)
    wrapped = tf_tickets.pruning.wrap(model)
    infos = [budgets.LayerInfo(t.key, tuple(t.weight.shape), t.kind) for t in targets(wrapped)]
    budget = budgets.make("smart_ratio")
    return median_time(lambda: budget.keep_counts(infos, 0.02, residual=False), repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cifar_resnet_20")
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    shape = (32, 32, 3)
    rows = [("masked / dense training step", train_step_ratio(args.model, shape, 128, args.repeats), "<= 1.03")]
    ratios = scoring_ratios(args.model, shape, args.batch_size, args.repeats)
    rows += [("SNIP scoring / forward+backward", ratios["snip"], "<= 1.5"),
             ("GraSP scoring / forward+backward", ratios["grasp"], "<= 3.5"),
             ("one SynFlow round / forward+backward", ratios["synflow"], "")]
    seconds = smart_ratio_seconds(args.repeats)
    print(f"model {args.model}, input {shape}, scoring batch {args.batch_size}, {args.repeats} interleaved repeats, "
          f"{os.cpu_count()} CPU cores, GPU: {bool(tf.config.list_physical_devices('GPU'))}")
    print("| measure | ratio | goal |\n|---|---:|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value:.2f} | {goal} |")
    print(f"| smart ratio for cifar_vgg_19_bn (seconds) | {seconds:.4f} | < 1 s |")


if __name__ == "__main__":
    main()
