"""Searches a run's settings with keras-tuner: `python -m tf_tickets.tune --flagfile=configs/embedded_tune.cfg`.

`--space` names the settings to search (`lr:log:0.01:0.5,budget:choice:smart_ratio|erk,...`, see
`tf_tickets.tuning.space`); every other flag of `tf_tickets.train` fixes the rest of the run. keras-tuner's
random search, Bayesian optimisation or Hyperband (`--tuner`) picks each trial's values; each trial is a
real run of ours in `<tune_dir>/trials/<id>/`. At the end: a table of trials (`trials.md`/`.csv`) and the
best trial's flags as `best.cfg`, which `python -m tf_tickets.train --flagfile=<tune_dir>/best.cfg` trains.

The same command after a kill resumes the search: keras-tuner reloads its oracle from the tuning
directory, hands the interrupted trial out again (its run resumes from its last epoch) and retrains no
finished trial. With keras-tuner's variables set (`KERASTUNER_TUNER_ID=chief` or a worker's id,
`KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT`) the same command is a chief that serves the oracle,
or a worker that runs trials (`tf_tickets.tuning.chief`); the chief prints the table and writes best.cfg.

Our runs report test accuracy (there is no validation split): the best trial's accuracy is chosen on the
test set, so it flatters; train best.cfg with other seeds before quoting a figure.
"""
import os

from absl import flags

from tf_tickets import cli, harness
from tf_tickets.data import pipeline
from tf_tickets.errors import TicketsError
from tf_tickets.progress import Progress
from tf_tickets.training import distribution
from tf_tickets.training import flags as train_flags
from tf_tickets.tuning import chief, directory, oracles, report, space, trials
from tf_tickets.tuning.directory import TuneDir
from tf_tickets.tuning.plan import Plan

TUNER = flags.DEFINE_enum("tuner", "random", oracles.TUNERS, "keras-tuner's search: random, bayesian "
                          "(Gaussian-process Bayesian optimisation) or hyperband.")
MAX_TRIALS = flags.DEFINE_integer("max_trials", None, f"Trials to run (default {oracles.DEFAULT_MAX_TRIALS}); "
                                  "caps Hyperband, whose brackets otherwise set the number.", lower_bound=1)
OBJECTIVE = flags.DEFINE_enum("objective", "test_accuracy", list(oracles.OBJECTIVES),
                              "What a trial is judged by, as its results.json reports it.")
SPACE = flags.DEFINE_list("space", [], "Settings to search, NAME:LOW:HIGH, NAME:log:LOW:HIGH or NAME:choice:A|B, "
                          "comma-separated; NAME is a flag of tf_tickets.train (lr or learning_rate, weight_decay, "
                          "sparsity, budget, criterion, ...) or a budget's or criterion's option (linear_keep_ratio, "
                          "schedule, min_density, ...).")
TUNE_DIR = flags.DEFINE_string("tune_dir", None, "Directory the search owns (keras-tuner's state, one run directory "
                               "per trial, the table, best.cfg); default <run_dir>-tune.")
TUNER_SEED = flags.DEFINE_integer("tuner_seed", 1, "Seed of the tuner's own choices.", lower_bound=1)
HYPERBAND_MAX_EPOCHS = flags.DEFINE_integer("hyperband_max_epochs", 9, "Hyperband: the longest trial, in "
                                            "--hyperband_epoch units.", lower_bound=1)
HYPERBAND_FACTOR = flags.DEFINE_integer("hyperband_factor", 3, "Hyperband: how much shorter (and how many more) "
                                        "trials each bracket runs.", lower_bound=2)
HYPERBAND_EPOCH = flags.DEFINE_string("hyperband_epoch", "1ep", "Hyperband: the training one of its epochs stands "
                                      "for (e.g. 1ep, or 50it for quick trials).")


def build_plan() -> Plan:
    """The search the flags describe, checked: every searched name sets something, every end of every range
    and every choice makes a valid run."""
    hyperband = TUNER.value == "hyperband"
    return Plan(space.parse(SPACE.value), tune_dir().path, HYPERBAND_EPOCH.value if hyperband else None)


def tune_dir() -> TuneDir:
    return TuneDir(TUNE_DIR.value or train_flags.run_dir_path() + "-tune")


def main(argv):
    hyperband = TUNER.value == "hyperband"
    plan_dir = tune_dir()
    plan = build_plan()
    settings = {"tuner": TUNER.value, "objective": OBJECTIVE.value, "tuner_seed": TUNER_SEED.value, **plan.identity()}
    if hyperband:
        settings["hyperband"] = {"max_epochs": HYPERBAND_MAX_EPOCHS.value, "factor": HYPERBAND_FACTOR.value}
    role = chief.role()
    plan_dir.check(settings)
    oracle = oracles.make(TUNER.value, plan.settings, OBJECTIVE.value, MAX_TRIALS.value, TUNER_SEED.value,
                          HYPERBAND_MAX_EPOCHS.value, HYPERBAND_FACTOR.value)
    total = oracle.max_trials

    if role == chief.CHIEF:
        plan_dir.claim(settings)
        with plan_dir.readable_state():
            oracles.restore(oracle, plan_dir.path, directory.PROJECT)
        print(f"chief: serving the search to workers at {chief.address()} ({total} trials)", flush=True)
        chief.serve(oracle, on_ended=lambda trial: print(trials.ended_line(plan, trial, total), flush=True))
        return report.finish(plan, oracle, plan_dir, TUNER.value)

    strategy, _ = harness.devices(plan.base)
    data = harness.load_data(plan.base)
    steps_per_epoch = pipeline.steps_per_epoch(len(data.x_train), plan.base.train.batch_size)
    plan_dir.claim(settings)
    progress = Progress(total, cli.verbose())
    try:
        with plan_dir.readable_state():
            tuner = trials.RunTrials(oracle, plan, data, steps_per_epoch, progress, total, strategy,
                                     distribution.is_chief(strategy), plan_dir.path, directory.PROJECT)
        tuner.search(verbose=1 if cli.verbose() else 0)
    except RuntimeError as error:  # the oracle gives up after several failed trials in a row
        progress.close()
        if role is None:
            report.finish(plan, oracle, plan_dir, TUNER.value)
        if "consecutive failures" not in str(error):
            raise
        raise TicketsError(f"the search stopped after {oracle.max_consecutive_failed_trials} failed trials in a row "
                           "(each one's reason is above)") from None
    progress.close()
    if role == chief.WORKER:
        print(f"worker {os.environ[chief.TUNER_ID]}: no trials left; the chief prints the table and writes best.cfg")
        return 0
    return report.finish(plan, tuner.oracle, plan_dir, TUNER.value)


if __name__ == "__main__":
    cli.run(main, "tf_tickets.tune")
