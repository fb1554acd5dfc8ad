"""Trains one network: `python -m tf_tickets.train --flagfile=configs/resnet32.cfg`.

Wires flags to the data, model and training packages. The run directory gets the settings, per-epoch
metrics, TensorBoard logs, checkpoints and `results.json`; the same command resumes a killed run, and
does nothing for a finished one.
"""
from absl import logging

from tf_tickets import cli, data, files, models
from tf_tickets.data import corrupt
from tf_tickets.errors import TicketsError
from tf_tickets.training import distribution, loop
from tf_tickets.training import flags as train_flags
from tf_tickets.training.run_dir import RunDir

F = train_flags


def settings(config) -> dict:
    """What identifies the run: the settings that change what is trained (a run directory holds one run)."""
    identity = {k: v for k, v in config.to_dict().items() if k not in config.OBSERVATION_ONLY}
    return {"model": F.MODEL.value, "dataset": F.DATASET.value, "train_fraction": F.TRAIN_FRACTION.value,
            "mixed_precision": F.MIXED_PRECISION.value, **identity}


def main(argv):
    config = train_flags.train_config()
    models.MODELS.lookup(F.MODEL.value)
    if not 0 < F.TRAIN_FRACTION.value <= 1:
        raise TicketsError(f"--train_fraction must be in (0, 1], got {F.TRAIN_FRACTION.value}")
    run_dir = RunDir(train_flags.run_dir_path())
    run_dir.check(settings(config))
    if run_dir.is_finished():
        logging.info("%s is finished; nothing to do", run_dir.path)
        print_results(run_dir.results(), run_dir)
        return 0

    distribution.split_cpu(F.LOGICAL_CPUS.value)
    policy = distribution.set_precision(F.MIXED_PRECISION.value)
    strategy = distribution.make_strategy(F.DISTRIBUTION.value)
    dataset = data.load(F.DATASET.value, F.DATA_DIR.value)
    if F.TRAIN_FRACTION.value < 1:
        dataset = corrupt.subsample(dataset, F.TRAIN_FRACTION.value, seed=config.seed)
    run_dir.claim(settings(config))
    files.write_atomic(run_dir.file("flags.txt"), train_flags.as_flagfile())
    logging.info("training %s on %s (%d examples, policy %s, %d replicas) in %s", F.MODEL.value, dataset.name,
                 len(dataset.x_train), policy, strategy.num_replicas_in_sync, run_dir.path)

    def build():
        return models.build(F.MODEL.value, dataset.input_shape, dataset.num_classes, seed=config.seed)

    _, results = loop.train(build, dataset, config, run_dir, strategy)
    print_results(results, run_dir)
    return 0


def print_results(results: dict, run_dir: RunDir) -> None:
    print(f"test accuracy {results['test_accuracy']:.4f}  test loss {results['test_loss']:.4f}  "
          f"steps {results['steps']}  ({run_dir.path})")


if __name__ == "__main__":
    cli.run(main, "tf_tickets.train")
