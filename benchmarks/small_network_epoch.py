"""Small networks: one training epoch with several steps per call of the train function over one step per
call (plain Keras), side by side; the several steps are the most that keep every callback exact (what
"auto" picks for a network without convolutions, forced here for the ResNet too).

The project's CPU runs use small networks, where per-step Python and dispatch overhead is a large
share of each step. Two figures each: the wall time of a whole run of `tf_tickets.training.loop.train`
(compile, one epoch of `fit` with the project's callbacks, evaluation), and of its epoch alone (from
the epoch's start to its end, as a callback sees them); the runs alternate, and the ratios of medians are
printed next to their goal (<= 0.6).

With --then=REV it times instead the loop of an earlier commit (a temporary git worktree; for example the
main the issue was filed against) and this checkout's, each with its default settings, one process a run,
alternating: what a user of that commit gains, and whether the test accuracy stayed the same.

    python benchmarks/small_network_epoch.py [--data_dir=../shared/data/fashion-mnist] [--repeats=2]
                                             [--then=REV] [--networks=mnist_lenet_300_100,...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from tf_tickets import data, models  # noqa: E402
from tf_tickets.backend import keras  # noqa: E402
from tf_tickets.training import loop  # noqa: E402
from tf_tickets.training.config import TrainConfig  # noqa: E402
from tf_tickets.training.run_dir import RunDir  # noqa: E402

NETWORKS = ("mnist_lenet_300_100", "cifar_resnet_20")


class EpochTime(keras.callbacks.Callback):
    """Seconds from the epoch's start to its end (no batch hooks: it leaves the steps per call free)."""

    def steps_that_matter(self):
        return ()

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def epoch_seconds(name, dataset, per_call, root):
    """(seconds of the whole run, seconds of its epoch, the steps per call it ran)."""
    config = TrainConfig(training_steps="1ep", batch_size=64, lr=0.05, lr_schedule="constant", milestones=(),
                         validate_every_epoch=False, steps_per_execution=per_call)
    model = models.build(name, dataset.input_shape, dataset.num_classes, seed=0)
    run_dir = RunDir(tempfile.mkdtemp(dir=root))
    run_dir.claim({"benchmark": name, "per_call": per_call})
    epoch = EpochTime()
    start = time.perf_counter()
    _, results = loop.train(model, dataset, config, run_dir, callbacks=[epoch], verbose=0)
    return time.perf_counter() - start, epoch.seconds, results["steps_per_execution"]


CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def last_line(text):
    return (text.strip().splitlines() or ["(no message)"])[-1]


def one_epoch(tree, name, data_dir):
    """{run, epoch, test_accuracy} of one run of `name` through `tree`'s loop, in a process of its own."""
    script = os.path.join(CHECKOUT, "benchmarks", "one_epoch.py")
    done = subprocess.run([sys.executable, script, tree, name, os.path.abspath(data_dir)], capture_output=True,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode:
        sys.exit(f"small_network_epoch: a run of {name} in {tree} failed: {last_line(done.stderr)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def then_and_now(rev, data_dir, repeats, networks):
    with tempfile.TemporaryDirectory() as root:
        then = os.path.join(root, "then")
        made = subprocess.run(["git", "-C", CHECKOUT, "worktree", "add", "--detach", "--quiet", then, rev],
                              capture_output=True, text=True)
        if made.returncode:
            sys.exit(f"small_network_epoch: cannot check out {rev!r}: {last_line(made.stderr)}")
        try:
            print(f"one epoch of full Fashion-MNIST, batch 64, each tree's default settings, {os.cpu_count()} CPU "
                  f"cores; then: {rev}, now: this checkout")
            print("| network | measure | then (s) | now (s) | ratio | test accuracy then / now | goal |")
            print("|---|---|---:|---:|---:|---|---|")
            for name in networks:
                runs = {"then": [], "now": []}
                for _ in range(repeats):
                    for label, tree in (("then", then), ("now", CHECKOUT)):
                        runs[label].append(one_epoch(tree, name, data_dir))
                accuracy = " / ".join(f"{runs[label][0]['test_accuracy']:.4f}" for label in ("then", "now"))
                for measure in ("run", "epoch"):
                    old, new = (statistics.median(r[measure] for r in runs[label]) for label in ("then", "now"))
                    print(f"| {name} | {'whole run' if measure == 'run' else 'epoch'} | {old:.1f} | {new:.1f} | "
                          f"{new / old:.2f} | {accuracy} | <= 0.6 |", flush=True)
        finally:
            subprocess.run(["git", "-C", CHECKOUT, "worktree", "remove", "--force", then], capture_output=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                                                           "fashion-mnist"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--then", help="an earlier commit whose loop to time beside this checkout's")
    parser.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated; default: %(default)s")
    args = parser.parse_args(argv)
    networks = [name for name in args.networks.split(",") if name]
    unknown = sorted(set(networks) - set(NETWORKS))
    if unknown or not networks:
        parser.error(f"--networks: choose from {', '.join(NETWORKS)}")
    if args.then:
        return then_and_now(args.then, args.data_dir, args.repeats, networks)
    dataset = data.load("fashion_mnist", args.data_dir)
    print(f"full Fashion-MNIST ({len(dataset.x_train)} training images), batch 64, {os.cpu_count()} CPU cores")
    print("| network | measure | one step per call (s) | several (s) | steps per call | ratio | goal |")
    print("|---|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as root:
        for name in networks:
            runs, epochs = {1: [], 32: []}, {1: [], 32: []}
            chosen = None
            for _ in range(args.repeats):
                for per_call in (1, 32):
                    run, epoch, used = epoch_seconds(name, dataset, per_call, root)
                    runs[per_call].append(run)
                    epochs[per_call].append(epoch)
                    chosen = used if per_call == 32 else chosen
            for measure, times in (("whole run", runs), ("epoch", epochs)):
                one, several = statistics.median(times[1]), statistics.median(times[32])
                print(f"| {name} | {measure} | {one:.1f} | {several:.1f} | {chosen} | {several / one:.2f} | <= 0.6 |",
                      flush=True)


if __name__ == "__main__":
    main()
