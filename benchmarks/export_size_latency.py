"""Sparse against dense TFLite files, side by side in one run: file size, gzip size and batch-1 latency
under LiteRT with its default XNNPack delegate and with the builtin kernels only.

    python benchmarks/export_size_latency.py [--repeats=200] [--sparsities=0.9,0.98]

Networks: a ResNet (cifar_resnet_20, 32x32x3), LeNet-300-100 (28x28x1) with unstructured and with
1x4 block-sparse masks, and a MobileNet-style net (Keras' MobileNetV2, width 0.35, 32x32x3) with
unstructured and with 1x4 blocks on its 1x1 convolutions. Masks by magnitude on the initial weights:
size and latency depend on where the zeros are, not on training. Latency is the median of the
repeated runs of one thread; the ratios (sparse / dense) are what to compare: absolute times vary
from machine to machine. "densified" counts the kernels that LiteRT stores sparse but turns dense
before running (DENSIFY operators): those buy file size, not speed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tf_tickets  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from tf_tickets import models  # noqa: E402
from tf_tickets.backend import keras  # noqa: E402
from tf_tickets.export import formats, litert, report  # noqa: E402
from tf_tickets.pruning import prune, strip  # noqa: E402

SIZE_GOAL = 0.15  # sparse / dense file size at 90% sparsity


def mobilenet(input_shape, classes):
    return keras.applications.MobileNetV2(input_shape=input_shape, alpha=0.35, weights=None, classes=classes,
                                          classifier_activation=None)


NETWORKS = [  # (label, builder, input shape, block)
    ("cifar_resnet_20", lambda: models.build("cifar_resnet_20", (32, 32, 3), 10, seed=0), (32, 32, 3), 0),
    ("lenet_300_100", lambda: models.build("mnist_lenet_300_100", (28, 28, 1), 10, seed=0), (28, 28, 1), 0),
    ("lenet_300_100 1x4", lambda: models.build("mnist_lenet_300_100", (28, 28, 1), 10, seed=0), (28, 28, 1), 4),
    ("mobilenet_v2_0.35", lambda: mobilenet((32, 32, 3), 10), (32, 32, 3), 0),
    ("mobilenet_v2_0.35 1x4", lambda: mobilenet((32, 32, 3), 10), (32, 32, 3), 4),
]


def measure(model, example, repeats):
    sparse, dense = formats.tflite_bytes(model, sparse=True), formats.tflite_bytes(model, sparse=False)
    row = {"size": len(sparse) / len(dense),
           "gzip": report.bytes_sizes(sparse)["gzip_bytes"] / report.bytes_sizes(dense)["gzip_bytes"],
           "dense_kib": len(dense) / 1024, "sparse_kib": len(sparse) / 1024,
           "densified": litert.operators(sparse).count("DENSIFY")}
    for runtime in litert.RUNTIMES:
        row[runtime] = litert.latency_ms(sparse, runtime, example, repeats) / litert.latency_ms(dense, runtime, example,
                                                                                                  repeats)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--sparsities", default="0.9,0.98")
    args = parser.parse_args()
    import numpy as np

    print("| network | sparsity | dense file | sparse / dense size | gzip ratio | densified kernels | "
          "latency sparse/dense XNNPack | latency sparse/dense builtin |")
    print("|---|---|---|---|---|---|---|---|")
    for sparsity in (float(s) for s in args.sparsities.split(",")):
        for label, build, shape, block in NETWORKS:
            model = strip(prune(build(), "magnitude", sparsity=sparsity, block=block, on_collapse="ignore"))
            example = np.random.RandomState(0).randn(*shape).astype(np.float32)
            row = measure(model, example, args.repeats)
            goal = f" (goal <= {SIZE_GOAL})" if sparsity == 0.9 else ""
            print(f"| {label} | {sparsity:g} | {row['dense_kib']:,.0f} KiB | {row['size']:.3f}{goal} | "
                  f"{row['gzip']:.3f} | {row['densified']} | {row['xnnpack']:.2f}x | {row['builtin']:.2f}x |",
                  flush=True)


if __name__ == "__main__":
    main()
