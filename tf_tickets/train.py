"""Trains one network, dense or pruned: `python -m tf_tickets.train --flagfile=configs/resnet32.cfg`.

Wires flags to `runner.execute`. The run directory gets the settings, per-epoch metrics,
TensorBoard logs, checkpoints, the masks and sparsity report of a pruned run, and `results.json`;
the same command resumes a killed run, and does nothing for a finished one.

`--start_from` starts from saved weights (a run directory, an .npz, or a saved Keras model: see
`tf_tickets.pretrained`); with `--criterion=jackpot` the run searches a lottery jackpot over them: scores,
not weights, train (`tf_tickets.jackpot`), and its test accuracy is the jackpot's with no weight trained.
"""
import dataclasses
import sys

from absl import flags, logging

from tf_tickets import cli, files, harness, pretrained, run_files, runner
from tf_tickets.procedures import flags as procedure_flags
from tf_tickets.pruning import format_report
from tf_tickets.training import distribution
from tf_tickets.training import flags as train_flags
from tf_tickets.errors import TicketsError
from tf_tickets.runs import Outputs, Search
from tf_tickets.training.run_dir import RunDir

START_FROM = flags.DEFINE_string("start_from", None, "Start from these weights: a run directory (its "
                                 "final_weights.npz), a weights file (.npz) or a saved Keras model (.keras, .h5, "
                                 "SavedModel directory; it replaces --model; one that carries Python code needs "
                                 "--trust_model_code). --criterion=jackpot searches over them.")
flags.declare_key_flag("trust_model_code")  # defined in tf_tickets.cli, which export shares
SAVE_WEIGHTS = flags.DEFINE_boolean("save_weights", False, "Keep the final weights (final_weights.npz), e.g. for "
                                    "a later --start_from.")


def main(argv):
    spec = harness.spec_from_flags()
    if SAVE_WEIGHTS.value:
        spec = dataclasses.replace(spec, outputs=Outputs(save_weights=True))
    if isinstance(spec.masks, Search) and not START_FROM.value:
        raise TicketsError("a jackpot searches a mask over pre-trained weights: give --start_from")
    strategy, policy = harness.devices(spec)
    dataset = harness.load_data(spec)
    build = None
    if START_FROM.value:
        spec, build = pretrained.start_from(START_FROM.value, spec, dataset, cli.TRUST_MODEL_CODE.value)
    run_dir = RunDir(train_flags.run_dir_path())
    run_dir.check(spec.identity())
    if run_dir.is_finished():
        logging.info("%s is finished; nothing to do", run_dir.path)
        print_results(run_dir.results(), run_dir)
        return 0

    logging.info("training %s on %s (%d examples, policy %s, %d replicas) in %s", spec.model, dataset.name,
                 len(dataset.x_train), policy, strategy.num_replicas_in_sync, run_dir.path)
    chief = distribution.is_chief(strategy)
    results = runner.execute(spec, dataset, run_dir, strategy, chief, build=build)
    if chief:
        files.write_atomic(run_dir.file(run_files.FLAGS), harness.flagfile(sys.modules[__name__], *(
            (procedure_flags,) if isinstance(spec.masks, Search) else ())))
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
