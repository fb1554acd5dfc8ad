"""Learning-rate schedules keyed on the optimizer's step, so that a resumed run continues exactly.

`step` (x`factor` at each milestone), `cosine` (to 0) and `constant`, each with an optional linear
warm-up. Milestones and warm-up are given as durations and turned into steps once the epoch length
is known.
"""
from typing import Sequence

from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError

SCHEDULES = ("step", "cosine", "constant")


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
    """Builds the schedule; milestones are step numbers, sorted."""
    if lr <= 0:
        raise TicketsError(f"learning rate must be > 0, got {lr}")
    if name == "step":
        milestones = sorted(int(m) for m in milestones)
        if not milestones:
            schedule = keras.optimizers.schedules.PiecewiseConstantDecay([total_steps + 1], [lr, lr])
        else:
            values = [lr * factor ** i for i in range(len(milestones) + 1)]
            schedule = keras.optimizers.schedules.PiecewiseConstantDecay(milestones, values)
    elif name == "cosine":
        schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps - warmup_steps))
        if warmup_steps:
            # CosineDecay has its own warm-up: from `initial` to `warmup_target`, then decays.
            return keras.optimizers.schedules.CosineDecay(
                0.0, decay_steps=max(1, total_steps - warmup_steps), warmup_target=lr, warmup_steps=warmup_steps)
    elif name == "constant":
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay([total_steps + 1], [lr, lr])
    else:
        raise TicketsError(f"unknown learning-rate schedule {name!r}; known: {', '.join(SCHEDULES)}")
    return WarmupSchedule(schedule, warmup_steps) if warmup_steps else schedule
