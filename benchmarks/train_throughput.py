"""Training throughput (images/s) of zoo models in float32 and mixed precision, side by side.

Mixed precision is `mixed_float16` when a GPU is visible (tensor cores), else `mixed_bfloat16` (the
CPU's fast path). Each measurement builds the model fresh under its policy, compiles SGD (momentum 0.9)
with sparse cross-entropy on logits, and times `train_on_batch` on one random CIFAR-shaped batch kept
on the device, after some warm-up steps (the first traces the train function).

    python benchmarks/train_throughput.py --models=cifar_resnet_32_32,cifar_vgg_19_bn --steps=20
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from tf_tickets.backend import keras, tf  # noqa: E402
from tf_tickets.errors import TicketsError  # noqa: E402
from tf_tickets.models import MODELS, build  # noqa: E402

SHAPE, CLASSES = (32, 32, 3), 10


def device() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
    return f"CPU: {os.cpu_count()} cores (no GPU visible)"


def images_per_second(name: str, policy: str, batch_size: int, steps: int, warmup: int) -> float:
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.backend.clear_session()
        model = build(name, SHAPE, CLASSES, seed=0)
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        x = tf.random.stateless_normal((batch_size,) + SHAPE, seed=(0, 0))
        y = tf.random.stateless_uniform((batch_size,), seed=(0, 1), maxval=CLASSES, dtype=tf.int32)
        for _ in range(warmup):
            model.train_on_batch(x, y)
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(x, y)  # returns the loss as a number: waits for the step to finish
        return steps * batch_size / (time.perf_counter() - start)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cifar_resnet_32_32,cifar_vgg_19_bn",
                        help="comma-separated model names")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (at least 1: tracing)")
    args = parser.parse_args(argv)
    if args.batch_size < 1 or args.steps < 1 or args.warmup < 0:
        parser.error("--batch_size and --steps must be >= 1, --warmup >= 0")

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if not models or unknown:
        raise TicketsError(f"unknown model(s) {unknown or args.models!r}; known: {', '.join(MODELS.names())}")

    mixed = "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"
    print(f"device: {device()}; TensorFlow {tf.__version__}; batch {args.batch_size}, "
          f"{args.steps} timed steps after {args.warmup} warm-up; input {SHAPE}, {CLASSES} classes\n")
    print("| model | policy | images/s | mixed / float32 |")
    print("|---|---|---:|---:|")
    for name in models:
        base = images_per_second(name, "float32", args.batch_size, args.steps, args.warmup)
        print(f"| {name} | float32 | {base:,.0f} | |", flush=True)
        fast = images_per_second(name, mixed, args.batch_size, args.steps, args.warmup)
        print(f"| {name} | {mixed} | {fast:,.0f} | {fast / base:.2f}x |", flush=True)


if __name__ == "__main__":
    try:
        main()
    except TicketsError as err:
        sys.exit(f"error: {err}")
