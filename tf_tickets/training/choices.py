"""What a run's training may name (optimizers, learning-rate schedules), without a framework, and the schedules
built from the Keras that trains: `keras.optimizers.schedules` of tf_keras or Keras 3 take the same arguments.
The optimizers are each Keras' own classes (`training.optimizers`, `training.keras3.optimizers`)."""
from typing import Optional, Sequence

from tf_tickets.errors import TicketsError

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("step", "cosine", "constant")



def make_optimizer(name: str, learning_rate, momentum: float, weight_decay: float, sgd: type, adam: type):
    """The named optimizer, from the Keras' coupled-L2 classes `sgd` and `adam` (tf_keras or Keras 3);
    `weight_decay` is the reference's coupled L2 coefficient (1e-4 in Su et al.)."""
    if weight_decay < 0:
        raise TicketsError(f"weight decay must be >= 0, got {weight_decay}")
    if name == "sgd":
        return sgd(learning_rate, momentum=momentum, l2=weight_decay)
    if name == "adam":
        return adam(learning_rate, l2=weight_decay)
    raise TicketsError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")

def make_schedule(keras, name: str, lr: float, total_steps: int, milestones: Sequence[int] = (), factor: float = 0.1,
                  warmup_steps: int = 0, warmup: Optional[type] = None):
    """Builds the schedule in `keras` (the tf_keras or Keras 3 module); milestones are step numbers, sorted.
    `warmup`: the Keras' class that ramps a schedule up over `warmup_steps` (cosine has its own)."""
    if lr <= 0:
        raise TicketsError(f"learning rate must be > 0, got {lr}")
    schedules = keras.optimizers.schedules
    if name == "step":
        milestones = sorted(int(m) for m in milestones)
        if not milestones:
            schedule = schedules.PiecewiseConstantDecay([total_steps + 1], [lr, lr])
        else:
            values = [lr * factor ** i for i in range(len(milestones) + 1)]
            schedule = schedules.PiecewiseConstantDecay(milestones, values)
    elif name == "cosine":
        schedule = schedules.CosineDecay(lr, decay_steps=max(1, total_steps - warmup_steps))
        if warmup_steps:
            # CosineDecay has its own warm-up: from `initial` to `warmup_target`, then decays.
            return schedules.CosineDecay(
                0.0, decay_steps=max(1, total_steps - warmup_steps), warmup_target=lr, warmup_steps=warmup_steps)
    elif name == "constant":
        schedule = schedules.PiecewiseConstantDecay([total_steps + 1], [lr, lr])
    else:
        raise TicketsError(f"unknown learning-rate schedule {name!r}; known: {', '.join(SCHEDULES)}")
    if not warmup_steps:
        return schedule
    if warmup is None:
        raise TicketsError(f"a linear warm-up of the {name} schedule is not available on {keras.__name__}: use the "
                           "cosine schedule (its own warm-up) or no warm-up")
    return warmup(schedule, warmup_steps)
