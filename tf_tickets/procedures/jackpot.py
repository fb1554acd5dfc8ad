"""Lottery jackpots in the grid (`jackpot`): a mask searched on the trained dense network, no weight trained.

Stage one is the shared dense pretraining; stage two searches scores over its trained weights
(`tf_tickets.jackpot`: magnitude start, straight-through scores, short restriction) for `search_steps`
with the search's own settings (`JackpotConfig.search`, the reference's by default: never the training
flags'); its test accuracy, with no weight trained, is the jackpot's. Data checks corrupt the
pretraining and the search data. With `tune_steps`, a third stage tunes the jackpot's weights (at the
schedule's final learning rate, from the search's BatchNorm statistics), and the mask and weight checks
act when it starts.
"""
import dataclasses
from typing import Optional

from tf_tickets import checks
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.hparams import setting
from tf_tickets.jackpot import SearchConfig
from tf_tickets.procedures.after_training import AfterTraining, AfterTrainingConfig, data_check
from tf_tickets.procedures.base import PROCEDURES, Stage
from tf_tickets.run_files import FINAL_WEIGHTS, MASKS
from tf_tickets.runs import FromFile, Outputs, Ref, Search, Start


@dataclasses.dataclass(frozen=True)
class JackpotConfig(AfterTrainingConfig):
    search_steps: Optional[Duration] = setting(None, "jackpot: how long the scores are searched (default: "
                                                     "--training_steps).")
    search: SearchConfig = setting(SearchConfig(), "jackpot: the search's optimiser, restriction rate and BatchNorm "
                                                   "mode (never the training flags').")
    tune_steps: Optional[Duration] = setting(None, "jackpot: then tune the found ticket's weights this long "
                                                   "(default: no tuning; the mask and weight checks need it).")


@PROCEDURES.register("jackpot")
class LotteryJackpot(AfterTraining):
    name = "jackpot"
    description = "lottery jackpot (Zhang et al.): scores searched over the frozen trained weights, from " \
                  "magnitude masks, short restriction; no weight trained"
    hparams_type = JackpotConfig

    def __init__(self, base, hparams=None, criterion=None):
        if criterion:
            raise TicketsError("jackpot searches its own scores, starting from magnitude: it takes no criterion")
        super().__init__(base, hparams)

    def uses(self):
        tuned = self.hparams.tune_steps is not None
        return frozenset((checks.DATA,) + ((checks.MASKS,) if tuned else ()))

    def why_not(self, check):
        if checks.get(check).acts_on in (checks.MASKS, checks.WEIGHTS):
            return "n/a (no weight trains: give --tune_steps)"
        return "n/a (the search starts from magnitude)" if check == "invert" else super().why_not(check)

    def stages(self, sparsity, seed, check):
        hparams, base = self.hparams, self.base
        pretrain = self.pretrain(seed, check)
        trained = Ref(pretrain.name, FINAL_WEIGHTS)
        search = hparams.search
        search_train = search.train_config(self._train(seed), hparams.search_steps or base.train.training_steps)
        tuned = hparams.tune_steps is not None
        name = (f"{self.slug}/search/sparsity{sparsity:g}/{data_check(check) or 'clean'}/seed{seed}" if tuned
                else self.cell(sparsity, seed, check))
        # A search in training mode moves BatchNorm's statistics: the tuning starts from the jackpot's own.
        keeps_statistics = tuned and search.batch_statistics
        searched = Stage(name, dataclasses.replace(
            base, train=search_train, pruning=dataclasses.replace(base.pruning, sparsity=sparsity),
            masks=Search(search.rate, batch_statistics=search.batch_statistics),
            start=Start(weights=trained), check=data_check(check), outputs=Outputs(save_weights=keeps_statistics)))
        if not tuned:
            return [pretrain, searched]
        tune = dataclasses.replace(
            base, train=self._train(seed, training_steps=hparams.tune_steps, lr=base.train.final_lr,
                                    lr_schedule="constant", milestones=(), warmup="0it"),
            pruning=dataclasses.replace(base.pruning, sparsity=sparsity), masks=FromFile(Ref(searched.name, MASKS)),
            start=Start(weights=Ref(searched.name, FINAL_WEIGHTS) if keeps_statistics else trained), check=check)
        return [pretrain, self.part(searched, "search"), Stage(self.cell(sparsity, seed, check), tune)]

    implied = ("keep_classifier_dense",)

    @property
    def variant(self):
        return " (tuned)" if self.hparams.tune_steps is not None else ""
