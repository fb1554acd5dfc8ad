"""Trains one network, dense or pruned: `python -m tf_tickets.train --flagfile=configs/resnet32.cfg`.

Wires flags to `runner.execute`. The run directory gets the settings, per-epoch metrics,
TensorBoard logs, checkpoints, the masks and sparsity report of a pruned run, and `results.json`;
the same command resumes a killed run, and does nothing for a finished one.
"""
from absl import logging

from tf_tickets import cli, files, harness, run_files, runner
from tf_tickets.pruning import format_report
from tf_tickets.training import distribution
from tf_tickets.training import flags as train_flags
from tf_tickets.training.run_dir import RunDir


def main(argv):
    spec = harness.spec_from_flags()
    run_dir = RunDir(train_flags.run_dir_path())
    run_dir.check(spec.identity())
    if run_dir.is_finished():
        logging.info("%s is finished; nothing to do", run_dir.path)
        print_results(run_dir.results(), run_dir)
        return 0

    strategy, policy = harness.devices(spec)
    dataset = harness.load_data(spec)
    logging.info("training %s on %s (%d examples, policy %s, %d replicas) in %s", spec.model, dataset.name,
                 len(dataset.x_train), policy, strategy.num_replicas_in_sync, run_dir.path)
    chief = distribution.is_chief(strategy)
    results = runner.execute(spec, dataset, run_dir, strategy, chief)
    if chief:
        files.write_atomic(run_dir.file(run_files.FLAGS), harness.flagfile())
    print_results(results, run_dir)
    return 0


def print_results(results: dict, run_dir: RunDir) -> None:
    if results.get("sparsity_report"):
        print(format_report(results["sparsity_report"]))
    density = f"  density {results['density']:.4f}" if "density" in results else ""
    print(f"test accuracy {results['test_accuracy']:.4f}  test loss {results['test_loss']:.4f}  "
          f"steps {results['steps']}{density}  ({run_dir.path})")


if __name__ == "__main__":
    cli.run(main, "tf_tickets.train")
