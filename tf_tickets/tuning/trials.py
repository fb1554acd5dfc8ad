"""keras-tuner's tuner whose trials are our runs: each trial trains, in its own run directory, the run the
flags describe with the trial's values in place (`Plan.trial_spec`), as `tf_tickets.train` would.

A trial's run directory resumes where a killed trial stopped, and a finished one is reused, not
retrained (the oracle hands a killed trial out again, with the same id and values). A trial whose
values make bad input (say, a classifier share too large for the sparsity) is FAILED with that one
line, and the search goes on.
"""
import math
import time

import keras_tuner as kt
from keras_tuner import config as kt_config
from keras_tuner.engine.trial import TrialStatus

from tf_tickets import files, run_files, runner
from tf_tickets.errors import TicketsError
from tf_tickets.tuning import plan as plan_module
from tf_tickets.training.compiled import CompiledModels
from tf_tickets.training.run_dir import RunDir

REPORTED = ("test_accuracy", "test_loss")  # what each trial reports to the oracle


class RunTrials(kt.Tuner):
    """`run_trial` trains one of our runs and returns its test accuracy and loss (keras-tuner's way to run
    any training as a trial, with no hypermodel)."""

    def __init__(self, oracle, plan, data, steps_per_epoch, progress, total, strategy=None, chief=True,
                 directory=None, project_name=None):
        self.plan, self.data, self.steps_per_epoch = plan, data, steps_per_epoch
        self.progress, self.total, self.strategy, self.chief = progress, total, strategy, chief
        self._outcome = {}
        self._compiled = CompiledModels()  # trials keep no model: those of one architecture and settings share one
        kt_config.DEBUG = progress.verbose  # keras-tuner prints each failed trial's traceback when set (its default)
        super().__init__(oracle, hypermodel=None, directory=directory, project_name=project_name, overwrite=False)

    def on_search_begin(self):
        # keras-tuner reloads its state only once this tuner's file exists; written now, a search killed in
        # its first trial is reloaded (and that trial handed out again) rather than started afresh.
        self.save()

    def run_trial(self, trial, *args, **kwargs):
        values = trial.hyperparameters.values
        run_dir = RunDir(self.plan.trial_dir(trial.trial_id))
        started, reused = time.time(), run_dir.is_finished()
        try:
            spec = self.plan.trial_spec(values, self.steps_per_epoch)
            run_dir.check(spec.identity())
            if reused:
                results = run_dir.results()
            else:
                results = runner.execute(spec, self.data, run_dir, self.strategy, self.chief,
                                         verbose=self.progress.fit_verbosity, compiled=self._compiled)
                if self.chief and not values.get(plan_module.PARENT):  # a continuation's flags cannot say where it starts
                    files.write_atomic(run_dir.file(run_files.FLAGS), self.plan.flagfile(values, run_dir.path))
        except TicketsError as error:
            raise kt.errors.FailedTrialError(str(error)) from None
        reported = {name: float(results[name]) for name in REPORTED if math.isfinite(results[name])}
        if self.oracle.objective.name not in reported:
            raise kt.errors.FailedTrialError(f"its {self.oracle.objective.name} is not a number (training diverged)")
        self._outcome[trial.trial_id] = (results, time.time() - started, reused)
        return reported

    def on_trial_end(self, trial):
        name = trial_name(self.plan, trial)
        outcome = self._outcome.pop(trial.trial_id, None)
        self.progress.number = int(trial.trial_id)  # the oracle numbers trials; a resumed search starts midway
        if outcome is not None and trial.status == TrialStatus.COMPLETED:
            self.progress.done(name, *outcome)
        else:
            print(f"[{int(trial.trial_id) + 1}/{self.total}] {name}  failed: {failure(trial)}", flush=True)
        super().on_trial_end(trial)


def ended_line(plan, trial, total: int) -> str:
    """The line a chief prints as a worker's trial ends: `[4/10] trial 3 lr=0.0312  84.30%`."""
    if trial.status == TrialStatus.COMPLETED and trial.metrics.exists("test_accuracy"):
        outcome = f"{100 * trial.metrics.get_last_value('test_accuracy'):.2f}%"
    else:
        outcome = f"failed: {failure(trial)}"
    return f"[{int(trial.trial_id) + 1}/{total}] {trial_name(plan, trial)}  {outcome}"


def trial_name(plan, trial) -> str:
    """`trial 3 lr=0.0312 budget=erk` (with Hyperband's epochs, and the trial it continues)."""
    values = trial.hyperparameters.values
    shown = " ".join(f"{k}={_short(v)}" for k, v in plan.shown(values).items() if v != "-")
    if plan_module.EPOCHS in values:
        shown += f" epochs={values[plan_module.EPOCHS]}"
        if values.get(plan_module.PARENT):
            shown += f" (continues trial {values[plan_module.PARENT]})"
    return f"trial {trial.trial_id} {shown}"


def failure(trial) -> str:
    """The last line of a failed trial's message, without keras-tuner's exception name."""
    lines = [line for line in (trial.message or "").strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no message"
    return last.split(": ", 1)[1] if last.startswith(("keras_tuner.", "Failed")) and ": " in last else last


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)

