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

With --mixed_precision it times float32 against the policy `--mixed_precision` sets, each with the
default steps per call: the arithmetic itself made cheaper, for networks whose convolutions are the time
(on a CPU with bfloat16 instructions, AVX512_BF16 or AMX; elsewhere bfloat16 runs emulated). The test
accuracies differ, as the arithmetic does.

    python benchmarks/small_network_epoch.py [--data_dir=../shared/data/fashion-mnist] [--repeats=2]
                                             [--then=REV | --mixed_precision] [--networks=mnist_lenet_300_100,...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)  # run from a checkout

from tf_tickets import data  # noqa: E402
from tf_tickets.training.execution import AUTO_LIMIT  # noqa: E402

from one_epoch import run as one_epoch  # noqa: E402  (a sibling script, also run alone for an earlier tree)

NETWORKS = ("mnist_lenet_300_100", "cifar_resnet_20")


def last_line(text):
    return (text.strip().splitlines() or ["(no message)"])[-1]


def one_epoch_of(tree, name, data_dir):
    """`one_epoch` of `name` through `tree`'s loop, in a process of its own."""
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
                        runs[label].append(one_epoch_of(tree, name, data_dir))
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
    parser.add_argument("--mixed_precision", action="store_true",
                        help="time float32 against the policy --mixed_precision sets (bfloat16 on a CPU) instead")
    args = parser.parse_args(argv)
    networks = [name for name in args.networks.split(",") if name]
    unknown = sorted(set(networks) - set(NETWORKS))
    if unknown or not networks:
        parser.error(f"--networks: choose from {', '.join(NETWORKS)}")
    if args.then and args.mixed_precision:
        parser.error("--then and --mixed_precision: choose one")
    if args.then:
        return then_and_now(args.then, args.data_dir, args.repeats, networks)
    dataset = data.load("fashion_mnist", args.data_dir)
    print(f"full Fashion-MNIST ({len(dataset.x_train)} training images), batch 64, {os.cpu_count()} CPU cores")
    if args.mixed_precision:
        return side_by_side(dataset, networks, args.repeats, "float32", {}, "mixed precision",
                            {"mixed_precision": True})
    side_by_side(dataset, networks, args.repeats, "one step per call", {"steps_per_execution": 1},
                 "several", {"steps_per_execution": AUTO_LIMIT})


def side_by_side(dataset, networks, repeats, name_a, settings_a, name_b, settings_b):
    """One epoch per network under two settings, alternating `repeats` times: the ratio b / a of the medians,
    of the whole run and of the epoch alone, with what b ran as (steps per call, policy)."""
    print(f"| network | measure | {name_a} (s) | {name_b} (s) | {name_b} ran with | ratio | test accuracy | goal |")
    print("|---|---|---:|---:|---|---:|---|---|")
    for name in networks:
        runs = {"a": [], "b": []}
        for _ in range(repeats):
            for label, settings in (("a", settings_a), ("b", settings_b)):
                runs[label].append(one_epoch(name, dataset, **settings))
        b = runs["b"][0]
        ran = f"{b['steps_per_execution']} steps per call, {b['policy']}"
        accuracy = " / ".join(f"{runs[label][0]['test_accuracy']:.4f}" for label in ("a", "b"))
        for measure in ("run", "epoch"):
            a_s, b_s = (statistics.median(r[measure] for r in runs[label]) for label in ("a", "b"))
            print(f"| {name} | {'whole run' if measure == 'run' else 'epoch'} | {a_s:.1f} | {b_s:.1f} | {ran} | "
                  f"{b_s / a_s:.2f} | {accuracy} | <= 0.6 |", flush=True)


if __name__ == "__main__":
    main()
