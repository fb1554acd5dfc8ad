"""GraSP's BatchNorm second derivative: TensorFlow's own against the closed form, side by side in one run.

GraSP scores a copy whose BatchNorm layers are `SecondOrderBatchNormalization` (`Criterion.second_order`).
Here two pruners score the same network, one with that copy and one with Keras's own layers, alternating;
each `Pruner.masks` (steady state: both traced first) is divided by one compiled forward+backward pass of
the same batch timed right before and after it. Prints the medians, their ratio, and how many mask entries
the two give differently (float rounding at the threshold).

    python benchmarks/grasp_batch_norm.py [--models=cifar_resnet_32_32,cifar_vgg_19_bn] [--repeats=5]
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

import numpy as np  # noqa: E402

from tf_tickets import models, pruning  # noqa: E402
from tf_tickets.backend import tf  # noqa: E402

from prune_cost import compiled_forward_backward, over_pass  # noqa: E402  (a sibling script)


def compare(model_name, batch_size, repeats):
    """({"keras": ratios, "closed form": ratios}, mask entries that differ, mask entries) for one network."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, 32, 32, 3)).astype(np.float32)
    y = np.arange(batch_size) % 10
    model = models.build(model_name, (32, 32, 3), 10, seed=0)
    base = compiled_forward_backward(model, tf.constant(x), tf.constant(y))
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    pruners = {"keras": pruning.Pruner("grasp", 0.9), "closed form": pruning.Pruner("grasp", 0.9)}
    pruners["keras"].scorer.second_order = False  # this pruner's copy keeps Keras's BatchNorm
    for pruner in pruners.values():
        for _ in range(2):  # eager, then traced: what follows is the steady state
            pruner.masks(pruning.wrap(model), data=data)
    ratios, masks = {name: [] for name in pruners}, {}
    for _ in range(repeats):
        for name, pruner in pruners.items():
            wrapped = pruning.wrap(model)
            ratio, _, masks[name] = over_pass(base, lambda: pruner.masks(wrapped, data=data), 3)
            ratios[name].append(ratio)
    differ = sum(int(np.count_nonzero(masks["keras"][k] != masks["closed form"][k])) for k in masks["keras"])
    return ratios, differ, sum(m.size for m in masks["keras"].values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cifar_resnet_32_32,cifar_vgg_19_bn")
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"GraSP Pruner.masks, steady state, over one compiled forward+backward (batch {args.batch_size}, "
          f"{os.cpu_count()} CPU cores); medians of {args.repeats}, alternating")
    print("| network | TensorFlow's derivative | closed form | closed / TensorFlow | mask entries that differ |")
    print("|---|---:|---:|---:|---|")
    for name in args.models.split(","):
        ratios, differ, total = compare(name, args.batch_size, args.repeats)
        keras, closed = statistics.median(ratios["keras"]), statistics.median(ratios["closed form"])
        print(f"| {name} | {keras:.2f} | {closed:.2f} | {closed / keras:.2f} | {differ} of {total} |", flush=True)


if __name__ == "__main__":
    main()
