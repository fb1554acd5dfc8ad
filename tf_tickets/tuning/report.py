"""The end of a search: the table of trials (`trials.md`/`.csv`) and the best trial as a flagfile (`best.cfg`)."""
from typing import List

from keras_tuner.engine.trial import TrialStatus

from tf_tickets import files, table_writer
from tf_tickets.tuning import directory
from tf_tickets.tuning.directory import TuneDir
from tf_tickets.tuning.plan import EPOCHS, PARENT, Plan

METRICS = ("test_accuracy", "test_loss")


def rows(plan: Plan, oracle) -> List[dict]:
    """One row per trial, in the order the oracle made them: values, metrics, status."""
    out = []
    for trial_id in sorted(oracle.trials, key=int):
        trial = oracle.trials[trial_id]
        values = trial.hyperparameters.values
        row = {"trial": trial_id, **{k: _short(v) for k, v in plan.shown(values).items()}}
        if EPOCHS in values:
            row["epochs"] = values[EPOCHS]
            row["from"] = values.get(PARENT) or "-"
        for name in METRICS:
            row[name] = trial.metrics.get_last_value(name) if trial.metrics.exists(name) else "-"
        row["status"] = trial.status
        out.append(row)
    return out


def best(oracle):
    """The best completed trial, or None."""
    trials = [t for t in oracle.get_best_trials(1) if t.status == TrialStatus.COMPLETED]
    return trials[0] if trials else None


def finish(plan: Plan, oracle, tune_dir: TuneDir, tuner: str) -> int:
    """Prints and writes the table and, if any trial completed, writes and prints best.cfg."""
    table_rows = rows(plan, oracle)
    columns = list(table_rows[0]) if table_rows else ["trial", "status"]
    table = table_writer.write_table(tune_dir.path, directory.TABLE, table_rows, columns)
    objective = oracle.objective.name
    better = "higher" if oracle.objective.direction == "max" else "lower"
    print(f"\n{table}\n\n(objective: {objective}, {better} is better; table in {tune_dir.file(directory.TABLE + '.md')})")
    winner = best(oracle)
    if winner is None:
        print("no trial completed: no best.cfg")
        return 0
    text = best_flagfile(plan, winner, tune_dir, objective, tuner, len(table_rows))
    path = tune_dir.file(directory.BEST_FLAGS)
    files.write_atomic(path, text)
    print(f"\nbest: trial {winner.trial_id}, {objective} {winner.score:.4f}; its flags ({path}):\n\n{text}")
    return 0


def best_flagfile(plan: Plan, trial, tune_dir: TuneDir, objective: str, tuner: str, trials: int) -> str:
    values = trial.hyperparameters.values
    header = [f"# The best of {trials} trials of tf_tickets.tune --tuner={tuner} in {tune_dir.path}: trial "
              f"{trial.trial_id}, {objective} {trial.score:.4f}.",
              f"# python -m tf_tickets.train --flagfile={tune_dir.file(directory.BEST_FLAGS)} trains it again."]
    if values.get(PARENT):
        header.append(f"# (Hyperband trained it in stages, from trial {values[PARENT]}; this trains it in one go)")
    return "\n".join(header) + "\n" + plan.flagfile(values, tune_dir.file(directory.BEST_RUN))


def _short(value):
    """Searched values to 4 significant digits (a weight decay of 3.3e-05 is not 0.0000); full ones are in
    keras-tuner's trial.json and in best.cfg."""
    return f"{value:.4g}" if isinstance(value, float) else value
