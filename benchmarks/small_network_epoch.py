"""Small networks: one training epoch with several steps per call of the train function over one step per
call (plain Keras), side by side; the several steps are the most that keep every callback exact (what
"auto" picks for a network without convolutions, forced here for the ResNet too).

The project's CPU runs use small networks, where per-step Python and dispatch overhead is a large
share of each step. Each figure is the wall time of a whole run of `tf_tickets.training.loop.train`
(compile, one epoch of `fit` with the project's callbacks, evaluation); the runs alternate, and the
ratio of medians is printed next to its goal (<= 0.6).

    python benchmarks/small_network_epoch.py [--data_dir=../shared/data/fashion-mnist] [--repeats=2]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from tf_tickets import data, models  # noqa: E402
from tf_tickets.training import loop  # noqa: E402
from tf_tickets.training.config import TrainConfig  # noqa: E402
from tf_tickets.training.run_dir import RunDir  # noqa: E402

NETWORKS = ("mnist_lenet_300_100", "cifar_resnet_20")


def epoch_seconds(name, dataset, per_call, root):
    config = TrainConfig(training_steps="1ep", batch_size=64, lr=0.05, lr_schedule="constant", milestones=(),
                         validate_every_epoch=False, steps_per_execution=per_call)
    model = models.build(name, dataset.input_shape, dataset.num_classes, seed=0)
    run_dir = RunDir(tempfile.mkdtemp(dir=root))
    run_dir.claim({"benchmark": name, "per_call": per_call})
    start = time.perf_counter()
    _, results = loop.train(model, dataset, config, run_dir, verbose=0)
    return time.perf_counter() - start, results["steps_per_execution"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                                                           "fashion-mnist"))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    dataset = data.load("fashion_mnist", args.data_dir)
    print(f"full Fashion-MNIST ({len(dataset.x_train)} training images), batch 64, {os.cpu_count()} CPU cores")
    print("| network | one step per call (s) | several (s) | steps per call | ratio | goal |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as root:
        for name in NETWORKS:
            times = {1: [], 32: []}
            chosen = None
            for _ in range(args.repeats):
                for per_call in (1, 32):
                    seconds, used = epoch_seconds(name, dataset, per_call, root)
                    times[per_call].append(seconds)
                    chosen = used if per_call == 32 else chosen
            one, auto = statistics.median(times[1]), statistics.median(times[32])
            print(f"| {name} | {one:.1f} | {auto:.1f} | {chosen} | {auto / one:.2f} | <= 0.6 |", flush=True)


if __name__ == "__main__":
    main()
