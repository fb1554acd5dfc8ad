"""What pruning costs, as ratios measured side by side in one run (absolute times mean little here).

1. A training step of a masked model (TF-MOT wrappers, fixed masks) over the same dense model's step,
   timed inside `fit` (goal <= 1.03).
2. `Pruner.masks` end to end (the scoring copy, the class-balanced batch, scores, budget, top-k) for SNIP
   and GraSP over one *compiled* forward+backward pass of the same batch (its tracing not counted; timed
   right before and after each measure):
   the first scoring of an architecture in a process (eager, with the one clone), the second (which
   traces) and from the third on (traced, the steady state of a grid; the median of --repeats); goals
   <= 1.5 (SNIP), <= 3.5 (GraSP). Then `tf_tickets.prune` itself, what a user calls: the wrapped copy,
   the same scoring, the masks into the wrappers and the connectivity check (median of --repeats).
3. SynFlow's 100 rounds end to end over the same forward+backward (goal <= 25 on cifar_vgg_19_bn), the
   first of the architecture (its float64 scoring copy and tracing counted) and a second one, each the median of
   --repeats (scoring copies cleared before each first); and its floor, the 100 float64 gradient passes alone.
4. Smart-ratio layer budgets for cifar_vgg_19_bn, in milliseconds (goal < 1 s).

    python benchmarks/prune_cost.py [--models=cifar_resnet_32_32,cifar_vgg_19_bn] [--batch_size=100]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

import numpy as np  # noqa: E402
import tf_tickets  # noqa: E402
from tf_tickets import budgets, models, pruning  # noqa: E402
from tf_tickets.backend import keras, tf, tfmot  # noqa: E402
from tf_tickets.models.common import blank_clone  # noqa: E402
from tf_tickets.pruning import targets  # noqa: E402

from fit_throughput import StepTimes  # noqa: E402  (a sibling script: one way of timing steps in fit)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def over_pass(base, measure, repeats):
    """`measure()` timed between two medians of `repeats` runs of the compiled pass `base`: (its seconds over
    their mean, the two pass medians, what it returned). This machine's speed drifts from minute to minute,
    so the pass is timed right beside what it divides."""
    before = median_time(base, repeats)
    start = time.perf_counter()
    result = measure()
    seconds = time.perf_counter() - start
    passes = [before, median_time(base, repeats)]
    return seconds / statistics.mean(passes), passes, result


def train_step_ratio(model_name, shape, batch_size, repeats, steps=12):
    """Median seconds per step of the masked model over the dense one's, timed inside `fit` (not
    `train_on_batch`, which stalls here on about one call in four), the two alternating `repeats` times."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4 * batch_size, *shape)).astype(np.float32)
    y = rng.integers(0, 10, 4 * batch_size)
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache().repeat()
    dense = models.build(model_name, shape, 10, seed=0)
    masked = tf_tickets.prune(dense, "random", 0.9, budget="smart_ratio")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for model in (dense, masked):
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss)
    extra = {id(dense): [], id(masked): [tfmot.sparsity.keras.UpdatePruningStep()]}
    times = {id(dense): [], id(masked): []}
    for _ in range(repeats):
        for model in (dense, masked):
            timer = StepTimes()
            model.fit(batches, steps_per_epoch=steps, epochs=1, callbacks=[timer] + extra[id(model)], verbose=0)
            times[id(model)].append(timer.median(skip=2))
    return statistics.median(times[id(masked)]) / statistics.median(times[id(dense)])


def compiled_forward_backward(model, x, y):
    """One traced forward+backward pass over the prunable kernels, traced and run once (a callable)."""
    weights = [layer.kernel for layer in models.prunable_layers(model)]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return tape.gradient(loss, weights)

    run = lambda: [g.numpy() for g in step(x, y)]  # noqa: E731
    run()
    return run


def synflow_gradient_passes(model, rounds=100):
    """SynFlow's floor, traced and run once (a callable): the `rounds` float64 dR/dw passes of |w| on one
    all-ones image that its rounds must run, and nothing else (no scores, selection or zeroing)."""
    clone = blank_clone(model, "float64")
    for mine, theirs in zip(clone.weights, model.weights):
        mine.assign(tf.abs(tf.cast(theirs, tf.float64)))
    kernels = [layer.kernel for layer in models.prunable_layers(clone)]
    ones = tf.ones((1,) + tuple(model.input_shape[1:]), tf.float64)

    @tf.function
    def gradients():
        with tf.GradientTape() as tape:
            flow = tf.reduce_sum(clone(ones, training=False))
        return tape.gradient(flow, kernels)

    def run():
        for _ in range(rounds):
            gradients()  # done when it returns (a CPU); dropped at once, as a round drops its own

    gradients()
    return run


def scoring_ratios(model_name, shape, batch_size, repeats, synflow):
    """(seconds of the compiled forward+backward, {measure: seconds / that pass}) for one network. The pass
    is timed right before and right after each measure, which is divided by their mean: this machine's
    speed drifts over the minutes a SynFlow run takes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, *shape)).astype(np.float32)
    y = np.arange(batch_size) % 10
    model = models.build(model_name, shape, 10, seed=0)
    base = compiled_forward_backward(model, tf.constant(x), tf.constant(y))
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    bases = []

    def ratio(measure):
        value, passes, _ = over_pass(base, measure, repeats)
        bases.extend(passes)
        return value

    ratios = {}
    for name in ("snip", "grasp"):
        pruning.scoring_copies.clear()  # the first scoring of this architecture in the process
        pruner = pruning.Pruner(name, 0.9)
        measured = []
        for _ in range(2 + repeats):  # the first, the second (traces), then the steady state
            wrapped = pruning.wrap(model)  # a new wrapped model each time, as each run of a grid has
            measured.append(ratio(lambda: pruner.masks(wrapped, data=data)))
        ratios[f"{name} first"], ratios[f"{name} second"] = measured[:2]
        ratios[f"{name} then"] = statistics.median(measured[2:])
        ratios[f"{name} prune"] = statistics.median(
            [ratio(lambda: tf_tickets.prune(model, name, 0.9, data=data)) for _ in range(repeats)])
    if synflow:
        firsts, thens = [], []
        for _ in range(repeats):  # the median of each: one run can meet one of this machine's pauses
            pruning.scoring_copies.clear()  # a new copy and a new pruner: the clones and tracing again
            pruner = pruning.Pruner("synflow", 0.98)
            for measured in (firsts, thens):
                wrapped = pruning.wrap(model)
                measured.append(ratio(lambda: pruner.masks(wrapped)))
        ratios["synflow first"], ratios["synflow then"] = statistics.median(firsts), statistics.median(thens)
        ratios["synflow passes"] = ratio(synflow_gradient_passes(model))
    return statistics.median(bases), ratios


def smart_ratio_seconds(repeats):
    model = models.build("cifar_vgg_19_bn", (32, 32, 3), 10)
    wrapped = tf_tickets.pruning.wrap(model)
    infos = [budgets.LayerInfo(t.key, tuple(t.weight.shape), t.kind) for t in targets(wrapped)]
    budget = budgets.make("smart_ratio")
    return median_time(lambda: budget.keep_counts(infos, 0.02, residual=False), repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cifar_resnet_32_32,cifar_vgg_19_bn")
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synflow_on", default="cifar_vgg_19_bn", help="networks whose 100 SynFlow rounds are timed")
    args = parser.parse_args(argv)
    shape = (32, 32, 3)
    print(f"input {shape}, scoring batch {args.batch_size}, {os.cpu_count()} CPU cores, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}")
    print("| network | measure | ratio | goal |\n|---|---|---:|---|")
    for name in args.models.split(","):
        row = lambda measure, value, goal="": print(f"| {name} | {measure} | {value:.2f} | {goal} |", flush=True)  # noqa
        row("masked / dense training step", train_step_ratio(name, shape, 128, args.repeats), "<= 1.03")
        base, ratios = scoring_ratios(name, shape, args.batch_size, args.repeats, name in args.synflow_on.split(","))
        row("compiled forward+backward (seconds, median)", base)
        for criterion, goal in (("snip", "<= 1.5"), ("grasp", "<= 3.5")):
            row(f"{criterion.upper()} Pruner.masks, first of the architecture / forward+backward",
                ratios[f"{criterion} first"])
            row(f"{criterion.upper()} Pruner.masks, second (traces) / forward+backward", ratios[f"{criterion} second"])
            row(f"{criterion.upper()} Pruner.masks, third on / forward+backward", ratios[f"{criterion} then"], goal)
            row(f"{criterion.upper()} tf_tickets.prune (wrapping, scoring, masks in) / forward+backward",
                ratios[f"{criterion} prune"])
        if "synflow first" in ratios:
            row("SynFlow 100 rounds, first of the architecture / forward+backward", ratios["synflow first"], "<= 25")
            row("SynFlow 100 rounds, second / forward+backward", ratios["synflow then"])
            row("SynFlow's 100 float64 gradient passes alone (its floor) / forward+backward", ratios["synflow passes"])
    print(f"| cifar_vgg_19_bn | smart ratio (milliseconds) | {smart_ratio_seconds(args.repeats) * 1e3:.2f} | < 1000 |")


if __name__ == "__main__":
    main()
