"""keras-tuner's oracles by name (`--tuner`): what to try next, kept in the tuning directory.

An oracle saves itself (`oracle.json`, one `trial.json` per trial) whenever it hands out or closes a
trial; reloaded, the trials it had handed out but not closed (their process was killed) are handed out
again first, with the same id and values, so their run directories resume.
"""
import math
from typing import Optional

import keras_tuner as kt

from tf_tickets.backend import tf
from tf_tickets.errors import TicketsError

TUNERS = ("random", "bayesian", "hyperband")
OBJECTIVES = {"test_accuracy": "max", "test_loss": "min"}  # what our runs report, and which way is better
DEFAULT_MAX_TRIALS = 10  # random and Bayesian search; Hyperband's brackets set their own number


def make(tuner: str, settings, objective: str, max_trials: Optional[int], seed: int,
         max_epochs: int = 9, factor: int = 3):
    """A fresh oracle over the searched `settings` (`plan.Setting`s; nothing outside them may be added)."""
    hyperparameters = kt.HyperParameters()
    for setting in settings:
        setting.declare(hyperparameters)
    common = dict(objective=kt.Objective(objective, OBJECTIVES[objective]), hyperparameters=hyperparameters,
                  seed=seed, allow_new_entries=False, tune_new_entries=False)
    if tuner == "random":
        return kt.oracles.RandomSearchOracle(max_trials=max_trials or DEFAULT_MAX_TRIALS, **common)
    if tuner == "bayesian":
        try:
            return kt.oracles.BayesianOptimizationOracle(max_trials=max_trials or DEFAULT_MAX_TRIALS, **common)
        except ImportError:
            raise TicketsError("--tuner=bayesian needs scikit-learn, which keras-tuner does not install: "
                               "pip install scikit-learn (or keras-tuner[bayesian])") from None
    oracle = kt.oracles.HyperbandOracle(max_epochs=max_epochs, factor=factor, **common)
    # The base oracle stops handing out trials at max_trials; its brackets' own number by default (which
    # also names the trials 00, 01, ... rather than 0000, 0001, ... after the str(None) of no cap).
    oracle.max_trials = min(max_trials or math.inf, bracket_trials(oracle))
    return oracle


def restore(oracle, directory: str, project: str):
    """Points `oracle` at its files and reloads its state if a search was started there (a chief does this;
    a tuner does it for its oracle itself)."""
    oracle._set_project_dir(directory, project)
    if tf.io.gfile.exists(oracle._get_oracle_fname()):
        oracle.reload()
    return oracle


def bracket_trials(oracle) -> int:
    """How many trials Hyperband's brackets make (keras-tuner 1.3.5's bracket sizes, summed)."""
    brackets = oracle._get_num_brackets()
    per_iteration = sum(oracle._get_size(b, r) for b in range(brackets) for r in range(b + 1))
    return per_iteration * oracle.hyperband_iterations
