"""Keras 3 tickets on each installed backend (TensorFlow, JAX, PyTorch), as ratios measured side by side in one run.

1. Training: `fit` of a ticket (`tf_tickets.prune(model, "random", 0.9, budget="smart_ratio")`: masked layers,
   fixed masks) over plain Keras 3 `fit` of the same model, seconds per step (goal <= 1.05). Each model is
   compiled alike (SGD with momentum, sparse cross-entropy from logits, Keras' defaults otherwise: XLA under
   JAX, a traced step under TensorFlow, eager under PyTorch) and fitted once to trace and warm up; then the two
   alternate, `--repeats` times, each a `fit` of `--steps` steps on the same batches, its steps timed by a
   callback at each batch end (median of a fit's steps after its first), in wall and in CPU time; each pair of
   fits gives a ratio (masked first in half of them), and the median of these ratios is reported with their
   range. This machine is shared: the wall clock also counts the time other people's work takes the cores
   from us (2x swings), the process's CPU time is what the steps cost (stable to a few percent).
2. Scoring: SNIP's `Pruner.masks` (the scoring copy, the class-balanced batch, scores, budget, top-k) over one
   compiled forward+backward pass of the same batch of 100 images: `tf.function` under TensorFlow, `jax.jit`
   under JAX, eager autograd under PyTorch (what Keras' own train step uses there). The pass is timed right
   before and after each measure (medians of `--repeats` calls; one call where a pass takes over `LONG_PASS`)
   and each measure is divided by their mean, in CPU and in wall time. First scoring of the architecture in the
   process, second, then the median from the third on (goal <= 1.5).
3. Plain Keras 3 `fit`'s images/s per backend and network (a batch over the median step, in wall and in CPU time):
   which backend trains which network fastest here.

    python benchmarks/keras3_backends.py [--backends=tensorflow,jax,torch] [--repeats=5] [--steps=8] \
        [--models=mnist_lenet_300_100,cifar_resnet_20,cifar_vgg_19_bn] [--batch_size=128] [--cores=0] [--json=PATH]

Each backend runs in a process of its own (KERAS_BACKEND set before Keras is imported), one after another, so
that they never share the CPU; the networks are the registry's (`tf_tickets.models.build(..., keras=keras)`),
on synthetic inputs of their data sets' shapes (speed depends on shapes, not on content).

On this project's shared 2-core CPU, `--cores=1 --repeats=3 --steps=4` took 32 min, 20 of them JAX's VGG19 (21 s a
training step: XLA's CPU convolutions); without VGG19 on JAX a run takes about 12 min. Figures:
benchmarks/results/keras3_backends.md.
"""
import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = {"mnist": (28, 28, 1), "cifar": (32, 32, 3)}
GOALS = {"train": 1.05, "snip": 1.5}
MIN_FIT_SECONDS, MAX_STEPS = 1.0, 400  # a timed fit runs at least --steps steps, and about a second when they are short
LONG_PASS = 0.25  # seconds: a forward+backward pass this long is timed once each side of a scoring, shorter ones more


def shape_of(name):
    return SHAPES["mnist" if name.startswith("mnist") else "cifar"]


# --- in a backend's own process ---------------------------------------------------------------------------------

def clock():
    """(wall seconds, this process's CPU seconds): on a shared machine the wall clock also counts the time others
    take the cores from us; the CPU time is what a step costs, stable where the wall clock swings 2x here."""
    return time.perf_counter(), time.process_time()


def step_times(model, x, y, batch_size, skip=1):
    """(wall, CPU) seconds per training step inside one `fit`: the intervals between batch ends after the first
    `skip` (a callback that reads the logs makes Keras wait for each step, on JAX too)."""
    import keras

    ends = []

    class Ends(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            ends.append(clock())

    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[Ends()])
    later = ends[skip:]
    return tuple([b[i] - a[i] for a, b in zip(later, later[1:])] for i in (0, 1))


def train_step(name, batch_size, steps, repeats):
    """Plain and masked seconds a step (wall and CPU, medians over repeats of each fit's median step), the
    masked/plain ratio of each adjacent pair of fits, and plain `fit`'s images/s."""
    import keras
    import numpy as np

    import tf_tickets
    from tf_tickets import models

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4 * batch_size, *shape_of(name))).astype(np.float32)
    y = (np.arange(len(x)) % 10).astype(np.int32)
    plain = models.build(name, shape_of(name), 10, seed=0, keras=keras)
    masked = tf_tickets.prune(plain, "random", 0.9, budget="smart_ratio")
    for model in (plain, masked):
        model.compile(keras.optimizers.SGD(0.01, momentum=0.9),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        warm = step_times(model, x[:4 * batch_size], y[:4 * batch_size], batch_size)[0]  # traces, warms up
    steps = min(MAX_STEPS, max(steps, math.ceil(MIN_FIT_SECONDS / statistics.median(warm))))  # short steps: more
    x = rng.normal(size=((steps + 1) * batch_size, *shape_of(name))).astype(np.float32)
    y = (np.arange(len(x)) % 10).astype(np.int32)
    times = {(kind, clock_): [] for kind in ("plain", "masked") for clock_ in ("wall", "cpu")}
    for repeat in range(repeats):
        order = (("plain", plain), ("masked", masked))
        for kind, model in order if repeat % 2 == 0 else order[::-1]:  # each first in half the pairs
            wall, cpu = step_times(model, x, y, batch_size)
            times[kind, "wall"].append(statistics.median(wall))
            times[kind, "cpu"].append(statistics.median(cpu))
    found = {"images_per_second": batch_size / statistics.median(times["plain", "wall"]),
             "images_per_cpu_second": batch_size / statistics.median(times["plain", "cpu"]), "steps": steps}
    for clock_ in ("wall", "cpu"):
        pairs = [m / p for m, p in zip(times["masked", clock_], times["plain", clock_])]
        found[clock_] = {"plain": statistics.median(times["plain", clock_]),
                         "masked": statistics.median(times["masked", clock_]),
                         "ratio": statistics.median(pairs), "range": [min(pairs), max(pairs)]}
    return found


def forward_backward(model, x, y):
    """One forward+backward pass over `model`'s prunable kernels, compiled as the backend's Keras trainer
    compiles its step, traced and run once: a callable that returns when the gradients are computed."""
    import keras

    from tf_tickets.models import keras3 as k3models

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        kernels = [k3models.kernel(layer) for layer in k3models.prunable_layers(model)]
        x, y = tf.constant(x), tf.constant(y)

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            return tape.gradient(loss, kernels)

        run = lambda: [g.numpy() for g in step()]  # noqa: E731
    elif backend == "jax":
        import jax

        def loss(trainable, non_trainable, x, y):
            logits, _ = model.stateless_call(trainable, non_trainable, x, training=True)
            return loss_fn(y, logits)

        grad = jax.jit(jax.grad(loss))
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        x, y = jax.numpy.asarray(x), jax.numpy.asarray(y)
        run = lambda: jax.block_until_ready(grad(trainable, non_trainable, x, y))  # noqa: E731
    else:
        import torch

        kernels = [k3models.kernel(layer).value for layer in k3models.prunable_layers(model)]
        x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)
        run = lambda: torch.autograd.grad(loss_fn(y, model(x, training=True)), kernels)  # noqa: E731
    run()
    return run


def median_time(fn, repeats):
    """(wall, CPU) medians of `repeats` calls of `fn`."""
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        end = clock()
        times.append((end[0] - start[0], end[1] - start[1]))
    return tuple(statistics.median(t[i] for t in times) for i in (0, 1))


def snip_ratios(name, repeats, batch_size=100):
    """For each clock: the pass's seconds and SNIP's Pruner.masks over it: first, second, the steady state (the
    median from the third on) and its range."""
    import keras
    import numpy as np

    from tf_tickets import models
    from tf_tickets.pruning import Pruner, stacks

    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, *shape_of(name))).astype(np.float32)
    y = (np.arange(batch_size) % 10).astype(np.int32)
    model = models.build(name, shape_of(name), 10, seed=0, keras=keras)
    base = forward_backward(model, x, y)
    calls = repeats if median_time(base, 1)[0] < LONG_PASS else 1  # the pass is timed this many times each side
    stack = stacks.of(model)
    pruner = Pruner("snip", 0.9)
    passes, measured = [], []
    for _ in range(2 + repeats):  # the first, the second, then the steady state
        wrapped = stack.wrap(model, "conv_dense")  # a new ticket each time, as each run of a grid has
        before = median_time(base, calls)
        start = clock()
        pruner.masks(wrapped, data=(x, y))
        end = clock()
        after = median_time(base, calls)
        passes.append((before, after))
        measured.append([(end[i] - start[i]) / statistics.mean([before[i], after[i]]) for i in (0, 1)])
    found = {}
    for i, clock_ in enumerate(("wall", "cpu")):
        steady = [m[i] for m in measured[2:]]
        found[clock_] = {"pass": statistics.median(p[i] for pair in passes for p in pair), "first": measured[0][i],
                         "second": measured[1][i], "steady": statistics.median(steady),
                         "range": [min(steady), max(steady)]}
    return found


def worker(args):
    if args.cores:  # before any framework starts its thread pools, which size themselves by the cores they may use
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cores])
    import keras

    found = {"backend": keras.backend.backend(), "keras": keras.__version__, "models": {}}
    for name in args.models.split(","):
        started = time.perf_counter()
        found["models"][name] = {"train": train_step(name, args.batch_size, args.steps, args.repeats),
                                 "snip": snip_ratios(name, args.repeats)}
        print(f"  {found['backend']} {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(json.dumps(found))


# --- the parent: one process per backend, then the tables ------------------------------------------------------

def installed(backend):
    return importlib.util.find_spec(backend) is not None


def run_backend(backend, args):
    command = [sys.executable, os.path.abspath(__file__), "--worker", f"--models={args.models}",
               f"--repeats={args.repeats}", f"--steps={args.steps}", f"--batch_size={args.batch_size}",
               f"--cores={args.cores}"]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)  # its progress and errors: stderr
    if done.returncode != 0:
        raise SystemExit(f"the {backend} process failed (its error is above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def span(values):
    return f"{min(values):.2f}-{max(values):.2f}"


def tables(results):
    """Markdown: the ratios against their goals (CPU time first, the wall clock beside it), then each backend's
    plain `fit` speed and forward+backward pass per network."""
    lines = ["| backend | network | ticket / plain `fit` step, CPU (range) | wall (range) | goal | SNIP Pruner.masks / "
             "forward+backward, CPU: first, second, third on (range) | wall: third on (range) | goal |",
             "|---|---|---|---|---|---|---|---|"]
    for found in results:
        for name, row in found["models"].items():
            train, snip = row["train"], row["snip"]
            lines.append(
                f"| {found['backend']} | {name} | **{train['cpu']['ratio']:.2f}** ({span(train['cpu']['range'])}) | "
                f"{train['wall']['ratio']:.2f} ({span(train['wall']['range'])}) | <= {GOALS['train']} | "
                f"{snip['cpu']['first']:.2f}, {snip['cpu']['second']:.2f}, **{snip['cpu']['steady']:.2f}** "
                f"({span(snip['cpu']['range'])}) | {snip['wall']['steady']:.2f} ({span(snip['wall']['range'])}) | "
                f"<= {GOALS['snip']} |")
    lines += ["", "| network | " + " | ".join(f"{f['backend']}: plain `fit` step ms, wall / CPU (img/s, wall / CPU)"
                                             for f in results)
              + " | forward+backward of 100, ms wall: " + ", ".join(f["backend"] for f in results)
              + " | fastest: wall / CPU |", "|---|" + "---:|" * len(results) + "---|---|"]
    for name in results[0]["models"]:
        speeds = {f["backend"]: f["models"][name]["train"] for f in results}
        cells = [f"{1e3 * s['wall']['plain']:.1f} / {1e3 * s['cpu']['plain']:.1f} ({s['images_per_second']:,.0f} / "
                 f"{s['images_per_cpu_second']:,.0f})" for s in speeds.values()]
        passes = ", ".join(f"{1e3 * f['models'][name]['snip']['wall']['pass']:.1f}" for f in results)
        fastest = [min(speeds, key=lambda b: speeds[b][clock_]["plain"]) for clock_ in ("wall", "cpu")]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {passes} | {' / '.join(fastest)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--models", default="mnist_lenet_300_100,cifar_resnet_20,cifar_vgg_19_bn")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--cores", type=int, default=0, help="run each backend on this many cores (0: all); one "
                        "core keeps PyTorch's OpenMP threads from stalling when other processes share the CPU")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    backends = [b for b in args.backends.split(",") if installed(b)]
    skipped = [b for b in args.backends.split(",") if b not in backends]
    cores = args.cores or len(os.sched_getaffinity(0))
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {cores} of {os.cpu_count()} CPU cores, no GPU (Keras 3 on the CPU); "
          f"training batch {args.batch_size}, at least {args.steps} steps a fit, {args.repeats} repeats; scoring "
          f"batch 100; load average {os.getloadavg()[0]:.1f}"
          + (f"; not installed: {', '.join(skipped)}" if skipped else ""), flush=True)
    results = []
    for backend in backends:
        started = time.perf_counter()
        results.append(run_backend(backend, args))
        print(f"({backend}: {time.perf_counter() - started:.0f} s, Keras {results[-1]['keras']}, load average "
              f"{os.getloadavg()[0]:.1f})", flush=True)
    print(tables(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
