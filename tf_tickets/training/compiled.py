"""Compiled models that the runs of a grid share: one per architecture and training settings, refilled.

Each run builds its own model, and Keras traces a train and a test function for that one model object
and optimises their graphs on the first call: 0.4-0.5 s of each 2 s run of README command 1 (a pruned
LeNet-300-100, measured before TF-MOT's mask update was left out of a fixed mask's step, which took most
of it), paid again by every run. `CompiledModels` keeps the model a run compiled; a later run
with a model of the same architecture (initialisers aside: seeds differ) and the same training settings
trains the kept model instead, every weight (masks included) copied from its own model and the
optimizer's variables and its steps per call put back to their values before the first step. Its
results are those of its own model, trained from scratch (tested); command 1's grid takes 0.67x the time
(`benchmarks/grid_runs.py --repeats=5`).

Only a caller that keeps no trained model from one run to the next may pass one: `loop.train` hands back
the kept model, which the next run overwrites. Models whose training draws random numbers (dropout,
noise, random augmentation layers) are not shared: their random ops would go on from where the last run
left them, and a run would depend on the runs before it. Nor are models under a distribution strategy or
a mixed-precision policy, which this has not been checked with. Keras 3 runs (`training.keras3`) share none: a
grid keeps its `CompiledModels` without loading TensorFlow, which the first tf_keras model to share one loads.
"""
import collections
import dataclasses
from typing import List

KEEP = 4  # settings kept; the least recently used model goes first


@dataclasses.dataclass
class _Kept:
    model: object  # a compiled tf_keras Model
    optimizer_start: List  # the optimizer's variables before the first step
    # Keras lowers it for an epoch's last call and puts it back only if the epoch goes on: a run that
    # stops there leaves it lowered.
    steps_per_call: int


class CompiledModels:
    def __init__(self, keep: int = KEEP):
        self._keep = keep
        self._kept: "collections.OrderedDict[str, _Kept]" = collections.OrderedDict()

    @staticmethod
    def sharable(model, strategy) -> bool:
        """Whether runs may share `model`'s compiled form (see the module's docstring)."""
        from tf_tickets.backend import keras, tf

        random = keras.__internal__.layers.BaseRandomLayer
        return (strategy is tf.distribute.get_strategy() and not tf.distribute.has_strategy()
                and keras.mixed_precision.global_policy().name == "float32"
                and not any(isinstance(layer, random) for layer in model.submodules))

    @staticmethod
    def key(model, settings) -> str:
        """What a kept model is found by: `model`'s architecture and the training `settings` it is compiled
        with (anything whose repr differs when the compiled functions or optimizer would)."""
        from tf_tickets.models.common import architecture

        return f"{architecture(model)}|{settings!r}"

    def take(self, key: str, model):
        """The model kept under `key`, holding `model`'s weights, its optimizer and steps per call as before
        the first step; None if none is kept."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        self._kept.move_to_end(key)
        for mine, theirs in zip(kept.model.weights, model.weights):
            mine.assign(theirs)
        for variable, value in zip(kept.model.optimizer.variables, kept.optimizer_start):
            variable.assign(value)
        kept.model.steps_per_execution.assign(kept.steps_per_call)
        return kept.model

    def keep(self, key: str, model) -> None:
        """Keeps `model`, compiled, its optimizer built and not yet stepped, under `key`."""
        from tf_tickets.backend import tf

        start = [tf.identity(v) for v in model.optimizer.variables]
        self._kept[key] = _Kept(model, start, int(model.steps_per_execution.numpy()))
        while len(self._kept) > self._keep:
            self._kept.popitem(last=False)
