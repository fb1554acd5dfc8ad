"""One epoch of a network on full Fashion-MNIST through `tf_tickets.training.loop.train`; as a script, of
a given source tree with that tree's default settings, printing one JSON line.
`small_network_epoch.py` calls `run` in its own process, and this script for an earlier commit's tree
(`--then=REV`).

Only what every version of the loop has is used (`loop.train`, `TrainConfig`'s first fields), so that
an old tree runs it as it is.

    python benchmarks/one_epoch.py TREE NETWORK DATA_DIR
"""
import json
import os
import sys
import tempfile
import time


def run(network, dataset, mixed_precision=False, **settings):
    """{run, epoch, test_accuracy, steps_per_execution, policy}: seconds of the whole run (compile, one epoch
    of `fit` with the loop's callbacks, evaluation) and of the epoch alone, with the `tf_tickets` imported;
    `mixed_precision`: under the policy `--mixed_precision` sets (the float32 policy is restored after);
    `settings`: more `TrainConfig` fields."""
    from tf_tickets import models
    from tf_tickets.backend import keras
    from tf_tickets.training import loop
    from tf_tickets.training.config import TrainConfig
    from tf_tickets.training.run_dir import RunDir

    class EpochTime(keras.callbacks.Callback):  # no batch hooks: it leaves the steps per call free
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.start

    config = TrainConfig(training_steps="1ep", batch_size=64, lr=0.05, lr_schedule="constant", milestones=(),
                         validate_every_epoch=False, **settings)
    policy = "float32"
    if mixed_precision:  # only this checkout's tree is run so (earlier trees may not have `set_precision`)
        from tf_tickets.training.distribution import set_precision
        policy = set_precision(True)
    try:
        model = models.build(network, dataset.input_shape, dataset.num_classes, seed=0)
        with tempfile.TemporaryDirectory() as root:
            run_dir = RunDir(os.path.join(root, "run"))
            run_dir.claim({"benchmark": network, **settings})
            epoch = EpochTime()
            start = time.perf_counter()
            _, results = loop.train(model, dataset, config, run_dir, callbacks=[epoch], verbose=0)
            seconds = time.perf_counter() - start
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return {"run": seconds, "epoch": epoch.seconds, "test_accuracy": results["test_accuracy"],
            "steps_per_execution": results.get("steps_per_execution", 1), "policy": policy}


def main(tree, network, data_dir):
    sys.path.insert(0, os.path.abspath(tree))
    from tf_tickets import data

    print(json.dumps(run(network, data.load("fashion_mnist", data_dir))), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
