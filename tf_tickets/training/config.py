"""What one training run needs besides the model and the data, checked before anything is written."""
import dataclasses
import importlib
from typing import Optional, Tuple

from tf_tickets.errors import TicketsError
from tf_tickets.durations import Duration
from tf_tickets.hparams import Hparams, setting
from tf_tickets.training.execution import AUTO_LIMIT
from tf_tickets.training import choices
from tf_tickets.training.choices import OPTIMIZERS, SCHEDULES


@dataclasses.dataclass(frozen=True)
class TrainConfig(Hparams):
    """Defaults are Su et al.'s CIFAR set-up, except the duration. Durations may be given as text; they are
    parsed once, here. The fields' flags: `tf_tickets.training.flags`."""

    training_steps: Duration = setting("160ep", "Duration: <N>ep or <N>it.")
    batch_size: int = setting(64, "Global batch size.")
    optimizer: str = setting("sgd", "Optimizer.", choices=OPTIMIZERS)
    lr: float = setting(0.1, "Peak learning rate.")
    momentum: float = setting(0.9, "SGD momentum.")
    weight_decay: float = setting(1e-4, "Coupled L2 weight decay (added to the gradient of every parameter, as the "
                                        "reference does).")
    lr_schedule: str = setting("step", "step, cosine or constant.")
    milestones: Tuple[Duration, ...] = setting(("80ep", "120ep"), "Step schedule milestones, as durations.")
    gamma: float = setting(0.1, "Step schedule factor at each milestone.")
    warmup: Duration = setting("0it", "Linear warm-up duration.")
    seed: int = setting(0, "Seed of the initial weights and the data order.")
    data_seed: Optional[int] = setting(
        None, "Seed of the data order and augmentation alone (default: --seed): runs that differ only here share "
              "their initial weights.", omit_default=True)  # added later: absent from runs that never set it
    augment: bool = setting(True, "Use the dataset's standard augmentation.")
    jit_compile: bool = setting(False, "Compile the train step with XLA (faster on GPU, slower on CPU).")
    steps_per_execution: int = setting(
        0, "Training steps per call of the compiled train function (0: for networks without convolutions as many "
           f"as keep every callback exact, up to {AUTO_LIMIT}, else 1; 1: one, as plain Keras). Same results; less "
           "overhead for small dense networks.", lower_bound=0)  # 0: auto (training/execution.py)
    eval_batch_size: int = setting(500, "Batch size for evaluation.")
    validate_every_epoch: bool = setting(True, "Evaluate on the test split after every epoch.")

    # Settings that change how a run is watched or how fast it goes, not what it trains.
    OBSERVATION_ONLY = ("eval_batch_size", "validate_every_epoch", "jit_compile", "steps_per_execution")

    def __post_init__(self):
        super().__post_init__()
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

    def make_schedule(self, steps_per_epoch: int, keras=None):
        """The schedule in `keras`, the Keras module that trains: tf_keras (None: the default) or Keras 3."""
        steps = (self.lr_schedule, self.lr, self.total_steps(steps_per_epoch),
                 [m.to_steps(steps_per_epoch) for m in self.milestones], self.gamma,
                 self.warmup.to_steps(steps_per_epoch))
        if keras is None or keras.__name__ == "tf_keras":
            from tf_tickets.training.lr_schedules import make_schedule  # tf_keras's, with its warm-up schedule

            return make_schedule(*steps)
        return choices.make_schedule(keras, *steps)

    def make_optimizer(self, steps_per_epoch: int, keras=None):
        """The optimizer (coupled L2, as the reference) in `keras`: tf_keras (None: the default) or Keras 3."""
        tf_keras = keras is None or keras.__name__ == "tf_keras"
        module = "tf_tickets.training.optimizers" if tf_keras else "tf_tickets.training.keras3.optimizers"
        make_optimizer = importlib.import_module(module).make_optimizer
        return make_optimizer(self.optimizer, self.make_schedule(steps_per_epoch, keras), self.momentum,
                              self.weight_decay)

    @property
    def final_lr(self) -> float:
        """The learning rate the schedule ends at (fine-tuning and tuning stages train at it)."""
        return self.lr * self.gamma ** len(self.milestones) if self.lr_schedule == "step" else self.lr

    @property
    def order_seed(self) -> int:
        """The seed of the data order and augmentation."""
        return self.seed if self.data_seed is None else self.data_seed
