"""What one training run needs besides the model and the data, checked before anything is written."""
import dataclasses
from typing import Optional, Tuple

from tf_tickets.errors import TicketsError
from tf_tickets.durations import Duration
from tf_tickets.training.lr_schedules import SCHEDULES, make_schedule
from tf_tickets.training.optimizers import OPTIMIZERS, make_optimizer


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Defaults are Su et al.'s CIFAR set-up, except the duration."""

    training_steps: Duration = "160ep"  # durations may be given as text; they are parsed once, here
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4  # coupled L2, as in the reference
    lr_schedule: str = "step"
    milestones: Tuple[Duration, ...] = ("80ep", "120ep")
    gamma: float = 0.1
    warmup: Duration = "0it"
    seed: int = 0
    data_seed: Optional[int] = None  # the data order and augmentation; None: `seed` (siblings differ only here)
    augment: bool = True
    jit_compile: bool = False
    steps_per_execution: int = 0  # steps per call of the train function; 0: auto (training/execution.py)
    eval_batch_size: int = 500
    validate_every_epoch: bool = True

    # Settings that change how a run is watched or how fast it goes, not what it trains.
    OBSERVATION_ONLY = ("eval_batch_size", "validate_every_epoch", "jit_compile", "steps_per_execution")

    def __post_init__(self):
        object.__setattr__(self, "training_steps", Duration.parse(self.training_steps))
        object.__setattr__(self, "warmup", Duration.parse(self.warmup))
        object.__setattr__(self, "milestones", tuple(Duration.parse(m) for m in self.milestones))
        if self.batch_size <= 0:
            raise TicketsError(f"batch size must be > 0, got {self.batch_size}")
        if self.steps_per_execution < 0:
            raise TicketsError(f"steps per execution must be >= 0 (0: automatic), got {self.steps_per_execution}")
        if self.eval_batch_size <= 0:
            raise TicketsError(f"eval batch size must be > 0, got {self.eval_batch_size}")
        if self.lr <= 0:
            raise TicketsError(f"learning rate must be > 0, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise TicketsError(f"momentum must be in [0, 1), got {self.momentum}")
        if self.weight_decay < 0:
            raise TicketsError(f"weight decay must be >= 0, got {self.weight_decay}")
        if self.gamma <= 0:
            raise TicketsError(f"learning-rate factor (gamma) must be > 0, got {self.gamma}")
        if self.optimizer not in OPTIMIZERS:
            raise TicketsError(f"unknown optimizer {self.optimizer!r}; known: {', '.join(OPTIMIZERS)}")
        if self.lr_schedule not in SCHEDULES:
            raise TicketsError(f"unknown learning-rate schedule {self.lr_schedule!r}; known: {', '.join(SCHEDULES)}")
        if self.training_steps.amount == 0:
            raise TicketsError("training duration must be more than 0 steps")

    def total_steps(self, steps_per_epoch: int) -> int:
        return self.training_steps.to_steps(steps_per_epoch)

    def epochs(self, steps_per_epoch: int) -> int:
        return self.training_steps.to_epochs(steps_per_epoch)

    def make_schedule(self, steps_per_epoch: int):
        return make_schedule(self.lr_schedule, self.lr, self.total_steps(steps_per_epoch),
                             [m.to_steps(steps_per_epoch) for m in self.milestones],
                             self.gamma, self.warmup.to_steps(steps_per_epoch))

    def make_optimizer(self, steps_per_epoch: int):
        return make_optimizer(self.optimizer, self.make_schedule(steps_per_epoch), self.momentum, self.weight_decay)

    def to_dict(self) -> dict:
        """The settings as JSON values (durations as text, e.g. "160ep")."""
        d = dataclasses.asdict(self)
        d.update(training_steps=str(self.training_steps), warmup=str(self.warmup),
                 milestones=[str(m) for m in self.milestones])
        if self.data_seed is None:  # added later: absent from the identities of runs that never set it
            del d["data_seed"]
        return d

    @property
    def final_lr(self) -> float:
        """The learning rate the schedule ends at (fine-tuning and tuning stages train at it)."""
        return self.lr * self.gamma ** len(self.milestones) if self.lr_schedule == "step" else self.lr

    @property
    def order_seed(self) -> int:
        """The seed of the data order and augmentation."""
        return self.seed if self.data_seed is None else self.data_seed
