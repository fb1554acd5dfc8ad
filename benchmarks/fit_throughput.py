"""The real training path, timed inside `fit`: images/s of (a) plain Keras `fit`, (b) tf_tickets' training
loop for a dense run and (c) for a 90%-sparse ticket, side by side in one run, per network.

(a) compiles the bare model with SGD and sparse cross-entropy and calls `fit` on the same batches;
(b) and (c) run `tf_tickets.training.loop.train` as `tf_tickets.train` does: the project's `tf.data`
pipeline, coupled-L2 SGD with its learning-rate schedule, checkpoints, metrics log, step limit and
TensorBoard callbacks; (c) with TF-MOT wrappers holding fixed random masks (smart ratio) and
`UpdatePruningStep`, and as many steps per call of the train function as keep every callback exact
(`--steps_per_execution=0`, the default: several for networks without convolutions). Steps are timed by
a callback at each batch end; the first steps (tracing, warm-up) are dropped and the median is taken. Goal:
(b)/(a) and (c)/(a) >= 0.95. Where PyTorch is importable, the same script times an equivalent PyTorch
step of the same architecture (SGD with momentum and weight decay, cross-entropy, one fixed batch, its
own threads: on a CPU both frameworks use every core) and prints PyTorch's images/s over plain Keras'.
PyTorch is a benchmark-only extra (`pip install -e ".[bench]"`), never a dependency of the package.
PyTorch runs on the GPU where it sees one. `--mixed_precision` times every column in mixed precision, as
`tf_tickets.train --mixed_precision` runs: float16 on a GPU (PyTorch: autocast and a gradient scaler),
bfloat16 on a CPU.

    python benchmarks/fit_throughput.py [--models=cifar_resnet_32_32,cifar_vgg_19_bn,mnist_lenet_300_100] [--steps=12]
        [--mixed_precision]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

import numpy as np  # noqa: E402

import tf_tickets  # noqa: E402
from tf_tickets import models  # noqa: E402
from tf_tickets.backend import keras, tf, tfmot  # noqa: E402
from tf_tickets.data import ImageData  # noqa: E402
from tf_tickets.training import distribution, loop  # noqa: E402
from tf_tickets.training.config import TrainConfig  # noqa: E402
from tf_tickets.training.run_dir import RunDir  # noqa: E402

SHAPES = {"mnist": ((28, 28, 1), 10), "cifar": ((32, 32, 3), 10)}
GOAL = 0.95


class StepTimes(keras.callbacks.Callback):
    """Wall time per training step from the batch ends Keras reports (one per call of the train function,
    which may run several steps: the time between two ends is divided by the steps between them)."""

    def steps_that_matter(self):
        return ()  # timing needs no particular step: several steps per call stay allowed

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append((batch, time.perf_counter()))

    def median(self, skip: int) -> float:
        """The median over calls after the first `skip` steps (tracing, warm-up) of seconds per step."""
        later = [(b, t) for b, t in self.ends if b >= skip]
        return float(statistics.median((t1 - t0) / (b1 - b0) for (b0, t0), (b1, t1) in zip(later, later[1:])))


def synthetic(shape, classes, examples, seed=0) -> ImageData:
    """Random uint8 images of the network's shape: throughput depends on shapes, not on content."""
    rng = np.random.RandomState(seed)
    x = rng.randint(0, 256, size=(examples,) + shape, dtype=np.uint8)
    y = rng.randint(0, classes, size=examples).astype(np.int64)
    channels = shape[-1]
    return ImageData("synthetic", x, y, x[:256], y[:256], classes, (0.5,) * channels, (0.25,) * channels)


def plain_keras(name, data, batch, steps):
    model = models.build(name, data.input_shape, data.num_classes, seed=0)
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x = (data.x_train.astype(np.float32) / 255.0 - 0.5) / 0.25
    ds = tf.data.Dataset.from_tensor_slices((x, data.y_train)).batch(batch, drop_remainder=True).repeat()
    timer = StepTimes()
    model.fit(ds, steps_per_epoch=steps, epochs=1, callbacks=[timer], verbose=0)
    return timer


def ours(name, data, batch, steps, sparse, root):
    model = models.build(name, data.input_shape, data.num_classes, seed=0)
    callbacks = []
    if sparse:
        model = tf_tickets.prune(model, "random", sparsity=0.9, budget="smart_ratio", seed=0)
        callbacks.append(tfmot.sparsity.keras.UpdatePruningStep())
    config = TrainConfig(training_steps=f"{steps}it", batch_size=batch, lr=0.05, lr_schedule="constant",
                         milestones=(), weight_decay=1e-4, validate_every_epoch=False)  # steps per call: auto, as train
    run_dir = RunDir(tempfile.mkdtemp(dir=root))
    run_dir.claim({"benchmark": name, "sparse": sparse})
    timer = StepTimes()
    loop.train(model, data, config, run_dir, callbacks=callbacks + [timer], verbose=0)
    return timer


def torch_network(name, shape, classes):
    """The same architecture in PyTorch (layer for layer: convs, BatchNorm, shortcuts, pooling, classifier),
    or None where there is no port here."""
    from torch import nn

    channels = shape[-1]
    if name == "mnist_lenet_300_100":
        return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(shape)), 300), nn.ReLU(), nn.Linear(300, 100),
                             nn.ReLU(), nn.Linear(100, classes))
    if name == "cifar_vgg_19_bn":
        from tf_tickets.models.vgg import PLANS

        layers, width = [], channels
        for item in PLANS[19]:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(width, item, 3, padding=1), nn.BatchNorm2d(item), nn.ReLU()]
                width = item
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, classes))
    if name.startswith("cifar_resnet_"):
        depth, width = (int(p) for p in (name.split("_")[2:] + ["16"])[:2])

        class Block(nn.Module):
            def __init__(self, cin, cout, stride):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                                          nn.ReLU(), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
                self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                                 if stride != 1 or cin != cout else nn.Identity())

            def forward(self, x):
                return nn.functional.relu(self.body(x) + self.shortcut(x))

        layers = [nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        cin = width
        for stage in range(3):
            for block in range((depth - 2) // 6):
                cout = width * 2 ** stage
                layers.append(Block(cin, cout, 2 if stage > 0 and block == 0 else 1))
                cin = cout
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))
    return None


def torch_step_seconds(shape, classes, batch, steps, name, skip, mixed=False):
    """Median seconds of a PyTorch training step of the same network (SGD with momentum and weight decay,
    cross-entropy, one fixed batch; on the GPU where there is one), or why there is none."""
    try:
        import torch
    except ImportError:
        return "PyTorch not importable"
    net = torch_network(name, shape, classes)
    if net is None:
        return "n/a (no PyTorch port of this network here)"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    half = torch.float16 if device == "cuda" else torch.bfloat16
    torch.manual_seed(0)
    net = net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scaler = torch.amp.GradScaler(device, enabled=mixed and half == torch.float16)
    x = torch.randn(batch, shape[-1], *shape[:2], device=device)
    y = torch.randint(0, classes, (batch,), device=device)
    net.train()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        opt.zero_grad()
        with torch.autocast(device, dtype=half, enabled=mixed):
            loss = torch.nn.functional.cross_entropy(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times[skip:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cifar_resnet_32_32,cifar_vgg_19_bn,mnist_lenet_300_100")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=12, help="steps per measurement (the first 3 are dropped)")
    parser.add_argument("--small_steps", type=int, default=384, help="the same for networks without convolutions "
                        "(milliseconds a step, and several steps per call)")
    parser.add_argument("--mixed_precision", action="store_true",
                        help="every column in mixed precision: float16 on a GPU, bfloat16 on a CPU")
    args = parser.parse_args(argv)
    policy = distribution.set_precision(args.mixed_precision)
    tf.get_logger().setLevel("ERROR")  # Keras' notes on retracing its evaluation for each new model
    skip = 3
    if min(args.steps, args.small_steps) <= skip + 1 or args.batch_size < 1:
        parser.error(f"--steps and --small_steps must be > {skip + 1}, --batch_size >= 1")
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}; {policy}; batch {args.batch_size}; "
          f"median step time inside fit over {args.steps} steps ({args.small_steps} for networks without convolutions), first {skip} dropped\n")
    print("| model | plain Keras fit (img/s) | ours, dense / plain | ours, 90% ticket / plain | goal | "
          "PyTorch / plain Keras |")
    print("|---|---:|---:|---:|---|---:|")
    with tempfile.TemporaryDirectory() as root:
        for name in (m.strip() for m in args.models.split(",") if m.strip()):
            small = name.startswith("mnist")
            shape, classes = SHAPES["mnist" if small else "cifar"]
            steps = args.small_steps if small else args.steps
            data = synthetic(shape, classes, args.batch_size * steps)
            plain = plain_keras(name, data, args.batch_size, steps).median(skip)
            dense = ours(name, data, args.batch_size, steps, False, root).median(skip)
            ticket = ours(name, data, args.batch_size, steps, True, root).median(skip)
            torch_seconds = torch_step_seconds(shape, classes, args.batch_size, min(steps, args.steps * 4), name,
                                               skip, args.mixed_precision)
            torch_text = torch_seconds if isinstance(torch_seconds, str) else f"{plain / torch_seconds:.2f}x"
            print(f"| {name} | {args.batch_size / plain:,.0f} | {plain / dense:.2f} | {plain / ticket:.2f} | "
                  f">= {GOAL} | {torch_text} |", flush=True)


if __name__ == "__main__":
    main()
