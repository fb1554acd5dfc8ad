"""Lottery jackpots in the grid (`jackpot`): a mask searched on the trained dense network, no weight trained.

Stage one is the shared dense pretraining; stage two searches scores over its trained weights
(`tf_tickets.jackpot`: magnitude start, straight-through scores, short restriction) for `search_steps`
with a cosine learning rate; its test accuracy, with no weight trained, is the jackpot's. Data checks
corrupt the pretraining and the search data. With `tune_steps`, a third stage tunes the jackpot's
weights (at the schedule's final learning rate), and the mask and weight checks act when it starts.
"""
import dataclasses

from tf_tickets import checks
from tf_tickets.errors import TicketsError
from tf_tickets.procedures.after_training import AfterTraining, data_check
from tf_tickets.procedures.base import PROCEDURES, Stage
from tf_tickets.run_files import FINAL_WEIGHTS, MASKS
from tf_tickets.runs import FromFile, Ref, Search, Start


@PROCEDURES.register("jackpot")
class LotteryJackpot(AfterTraining):
    name = "jackpot"
    description = "lottery jackpot (Zhang et al.): scores searched over the frozen trained weights, from " \
                  "magnitude masks, short restriction; no weight trained"

    def __init__(self, settings, criterion=None):
        if criterion:
            raise TicketsError("jackpot searches its own scores, starting from magnitude: it takes no criterion")
        super().__init__(settings)

    def uses(self):
        tuned = self.settings.tune_steps is not None
        return frozenset((checks.DATA,) + ((checks.MASKS,) if tuned else ()))

    def why_not(self, check):
        if checks.get(check).acts_on in (checks.MASKS, checks.WEIGHTS):
            return "n/a (no weight trains: give --tune_steps)"
        return "n/a (the search starts from magnitude)" if check == "invert" else super().why_not(check)

    def stages(self, sparsity, seed, check):
        settings, base = self.settings, self.settings.base
        pretrain = self.pretrain(seed, check)
        trained = Ref(pretrain.name, FINAL_WEIGHTS)
        search_train = self._train(seed, training_steps=settings.search_steps or base.train.training_steps,
                                   lr_schedule="cosine", milestones=(), warmup="0it")
        tuned = settings.tune_steps is not None
        name = (f"{self.slug}/search/sparsity{sparsity:g}/{data_check(check) or 'clean'}/seed{seed}" if tuned
                else self.cell(sparsity, seed, check))
        search = Stage(name, dataclasses.replace(
            base, train=search_train, pruning=dataclasses.replace(base.pruning, sparsity=sparsity),
            masks=Search(settings.jackpot_rate, batch_statistics=settings.jackpot_batch_statistics),
            start=Start(weights=trained), check=data_check(check)))
        if not tuned:
            return [pretrain, search]
        tune = dataclasses.replace(
            base, train=self._train(seed, training_steps=settings.tune_steps, lr=base.train.final_lr, lr_schedule="constant",
                                    milestones=(), warmup="0it"),
            pruning=dataclasses.replace(base.pruning, sparsity=sparsity), masks=FromFile(Ref(search.name, MASKS)),
            start=Start(weights=trained), check=check)
        return [pretrain, search, Stage(self.cell(sparsity, seed, check), tune)]
