"""Partially-trained tickets: train the dense network, prune its trained weights, retrain.

The dense `pretrain` run is shared by every procedure and sparsity of the same seed and data; data
checks corrupt its training data (it is the data that the pruning step sees), and the ticket then
retrains on clean data. Mask checks and score inversion act on the final ticket.
"""
import dataclasses
import math
from typing import Optional

from tf_tickets import checks
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.hparams import Hparams, setting
from tf_tickets.procedures.base import PROCEDURES, Procedure, Stage
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.run_files import FINAL_WEIGHTS, MASKS, REWIND_POINT
from tf_tickets.runs import FromCriterion, NoMasks, Outputs, Ref, Start


def data_check(check):
    return check if check and checks.get(check).acts_on == checks.DATA else None


@dataclasses.dataclass(frozen=True)
class AfterTrainingConfig(Hparams):
    """What every partially-trained procedure shares: the dense pretraining keeps its weights at `rewind_to`
    (lottery tickets rewind there), so that every procedure of a grid reads the same pretraining."""

    rewind_to: Duration = setting("0it", "Lottery tickets rewind to this step (0it: initialisation).")


class AfterTraining(Procedure):
    criterion = "magnitude"  # ranks the trained weights (the default; any criterion can be given)
    budget = None  # None: the base run's budget (global by default)
    hparams_type = AfterTrainingConfig

    def __init__(self, base, hparams=None, criterion=None):
        super().__init__(base, hparams)
        if criterion and criterion != type(self).criterion:
            # Lévai & Zombori's data-dependent lottery tickets: e.g. lottery:magnitude_gradient. The
            # criterion scores the trained weights on the data the pruning step sees (data checks corrupt it).
            self.criterion = criterion
            self.name = f"{type(self).name}:{criterion}"
            self.description = f"{type(self).description}; trained weights ranked by {criterion}"

    def pretrain(self, seed: int, check) -> Stage:
        corrupt = data_check(check)
        spec = dataclasses.replace(self.base, train=self._train(seed), pruning=PruningConfig(),
                                   masks=NoMasks(), start=Start(), check=corrupt,
                                   outputs=Outputs(capture_at=self.hparams.rewind_to, save_weights=True))
        return Stage(f"pretrain/{corrupt or 'clean'}/seed{seed}", spec)

    def ticket_spec(self, sparsity, seed, check, masks: FromCriterion, start: Start = Start(), **changes):
        pruning = self._pruning(self.criterion, sparsity, **({"budget": self.budget} if self.budget else {}))
        return dataclasses.replace(self.base, train=self._train(seed), pruning=pruning, masks=masks,
                                   start=start, check=check, **changes)

    def stages(self, sparsity, seed, check):
        pretrain = self.pretrain(seed, check)
        trained = Ref(pretrain.name, FINAL_WEIGHTS)
        spec = self.ticket_spec(sparsity, seed, check, FromCriterion(score_from=trained), Start(weights=trained))
        return [pretrain, Stage(self.cell(sparsity, seed, check), self.retrain(spec))]

    def retrain(self, spec):
        """Learning-rate rewinding: the trained weights, the schedule again from its start."""
        return spec

    @property
    def own_budget(self):
        return self.budget or super().own_budget


@PROCEDURES.register("lr_rewinding")
class LearningRateRewinding(AfterTraining):
    name = "lr_rewinding"
    description = "learning-rate rewinding (Renda et al.): global magnitude of trained weights, retrained " \
                  "from the trained weights with the schedule restarted"


@PROCEDURES.register("hybrid")
class HybridTickets(AfterTraining):
    name = "hybrid"
    budget = "smart_ratio"
    description = "hybrid tickets (Su et al.): smart-ratio budgets, magnitude of trained weights in each " \
                  "layer, learning-rate rewinding"


@PROCEDURES.register("obd")
class OptimalBrainDamage(AfterTraining):
    name = "obd"
    criterion = "obd"
    description = "OBD: 0.5*H_ii*w^2 (empirical Fisher) on trained weights, global, learning-rate rewinding"


@dataclasses.dataclass(frozen=True)
class FineTuningConfig(AfterTrainingConfig):
    finetune_steps: Duration = setting("10ep", "Fine-tuning: how long, at the final learning rate.")


@PROCEDURES.register("fine_tuning")
class FineTuning(AfterTraining):
    name = "fine_tuning"
    description = "fine-tuning: global magnitude of trained weights, then --finetune_steps at the " \
                  "schedule's final learning rate"
    hparams_type = FineTuningConfig

    def retrain(self, spec):
        train = spec.train
        return dataclasses.replace(spec, train=dataclasses.replace(
            train, training_steps=self.hparams.finetune_steps, lr=train.final_lr, lr_schedule="constant",
            milestones=(), warmup="0it"))


@dataclasses.dataclass(frozen=True)
class LotteryConfig(AfterTrainingConfig):
    levels: int = setting(1, "Lottery tickets: levels of iterative magnitude pruning.")
    level_rate: Optional[float] = setting(
        None, "Lottery tickets: prune this fraction of the remaining weights at each level (0.2: the lottery-ticket "
              "standard) until --sparsity, instead of --levels equal steps; earlier levels are shared by grids at "
              "several sparsities.")


@PROCEDURES.register("lottery")
class LotteryTickets(AfterTraining):
    """Iterative magnitude pruning: level k keeps (1-f)^k of the weights, f = 1-(1-sparsity)^(1/levels);
    each level prunes within the previous level's mask and rewinds to `rewind_to`."""

    name = "lottery"
    description = "lottery tickets (Frankle & Carbin): iterative global magnitude pruning, rewound"
    hparams_type = LotteryConfig

    def level_sparsities(self, sparsity):
        """Each level's sparsity: `levels` equal steps to `sparsity`, or, with `level_rate` f, f of the
        remaining weights pruned per level (level k keeps (1-f)^k) until the last level reaches `sparsity`."""
        rate, levels = self.hparams.level_rate, self.hparams.levels
        if rate is not None:
            return level_sparsities_at_rate(sparsity, rate)
        if levels < 1:
            raise TicketsError(f"--levels must be >= 1, got {levels}")
        return [1 - (1 - sparsity) ** (k / levels) for k in range(1, levels + 1)]

    def level_name(self, sparsity, seed, check, k, levels) -> str:
        """An earlier level's directory. Under a data check it trains on the corrupted data (it decides the next
        level's mask), which its name says. With a per-level rate, level k is the same run whatever the final
        sparsity, so grids at several sparsities share their earlier levels."""
        corrupt = data_check(check)
        data = f"trained_on_{corrupt}" if corrupt else "none"
        if self.hparams.level_rate is not None:
            return f"{self.slug}/rate{self.hparams.level_rate:g}/{data}/seed{seed}/level{k}"
        return f"{self.slug}/levels{len(levels)}/sparsity{sparsity:g}/{data}/seed{seed}/level{k}"

    def rewind_point(self, pretrain: Stage) -> Start:
        rewind_to = self.hparams.rewind_to
        if rewind_to.unit == "ep":
            raise TicketsError("--rewind_to is given in iterations for lottery tickets, e.g. 0it or 500it")
        return Start(weights=Ref(pretrain.name, REWIND_POINT), step=rewind_to.amount)

    def stages(self, sparsity, seed, check):
        pretrain = self.pretrain(seed, check)
        start = self.rewind_point(pretrain)
        stages, previous = [pretrain], None
        levels = self.level_sparsities(sparsity)
        for k, level_sparsity in enumerate(levels, start=1):
            last = k == len(levels)
            scored = previous.name if previous else pretrain.name
            masks = FromCriterion(score_from=Ref(scored, FINAL_WEIGHTS),
                                  within=Ref(previous.name, MASKS) if previous else None)
            spec = self.ticket_spec(level_sparsity, seed, check if last else data_check(check), masks, start,
                                    outputs=Outputs(save_weights=not last))
            name = self.cell(sparsity, seed, check) if last else self.level_name(sparsity, seed, check, k, levels)
            previous = Stage(name, spec)
            # With a per-level rate the earlier levels are shared by grids of several lengths: no "of L" then.
            stages.append(previous if last else self.part(
                previous, "level", level=k, levels=None if self.hparams.level_rate is not None else len(levels)))
        return stages

    @property
    def variant(self):
        step = self.hparams.rewind_to.amount
        return f" (rewound to {step}it)" if step else ""


def level_sparsities_at_rate(sparsity: float, rate: float):
    """1 - (1-rate)^k for k = 1, 2, ... while below `sparsity`, then `sparsity` itself (a last level that
    would prune less than a hundredth of a level's step is merged into the one before)."""
    if not 0 < rate < 1:
        raise TicketsError(f"--level_rate must be in (0, 1), got {rate}")
    levels = max(1, math.ceil(math.log(1 - sparsity) / math.log(1 - rate) - 0.01)) if sparsity > 0 else 1
    return [1 - (1 - rate) ** k for k in range(1, levels)] + [sparsity]


@PROCEDURES.register("lottery_one_shot")
class OneShotLotteryTickets(LotteryTickets):
    """Su et al.'s table: one-shot global magnitude over the conv layers, final Dense kept dense, rewound
    to initialisation."""

    name = "lottery_one_shot"
    description = "one-shot lottery tickets (Su et al.'s table): global magnitude of conv weights, " \
                  "classifier dense, rewound to initialisation"

    implied = ("keep_classifier_dense",)

    def level_sparsities(self, sparsity):
        return [sparsity]

    @property
    def variant(self):
        return ""  # always rewound to the initialisation, which its name says

    def rewind_point(self, pretrain):
        return Start()  # the seeded initialisation is the pretrain run's own (same seed): no snapshot needed

    def ticket_spec(self, sparsity, seed, check, masks, start=Start(), **changes):
        spec = super().ticket_spec(sparsity, seed, check, masks, start, **changes)
        pruning = dataclasses.replace(spec.pruning, budget="global", budget_options=(("keep_classifier_dense", True),))
        return dataclasses.replace(spec, pruning=pruning)
