"""Learning-rate schedules keyed on the optimizer's step, so that a resumed run continues exactly.

`step` (x`factor` at each milestone), `cosine` (to 0) and `constant`, each with an optional linear
warm-up. Milestones and warm-up are given as durations and turned into steps once the epoch length
is known.
"""
from typing import Sequence

from tf_tickets.backend import keras, tf
from tf_tickets.training import choices
from tf_tickets.training.choices import SCHEDULES  # noqa: F401  (where it has always been found)


@keras.utils.register_keras_serializable("tf_tickets")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to the wrapped schedule's value at `warmup_steps`, then the schedule."""

    def __init__(self, schedule, warmup_steps: int):
        self.schedule = schedule
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        step = tf.cast(step, tf.int64)
        after = tf.cast(self.schedule(step), tf.float32)
        if self.warmup_steps <= 0:
            return after
        peak = tf.cast(self.schedule(tf.constant(self.warmup_steps, tf.int64)), tf.float32)
        ramp = peak * tf.cast(step + 1, tf.float32) / self.warmup_steps
        return tf.where(step < self.warmup_steps, ramp, after)

    def get_config(self):
        return {"schedule": keras.optimizers.schedules.serialize(self.schedule),
                "warmup_steps": self.warmup_steps}

    @classmethod
    def from_config(cls, config):
        schedule = keras.optimizers.schedules.deserialize(config["schedule"])
        return cls(schedule, config["warmup_steps"])


def make_schedule(name: str, lr: float, total_steps: int, milestones: Sequence[int] = (),
                  factor: float = 0.1, warmup_steps: int = 0):
    """Builds the schedule in tf_keras; milestones are step numbers, sorted."""
    return choices.make_schedule(keras, name, lr, total_steps, milestones, factor, warmup_steps, WarmupSchedule)
