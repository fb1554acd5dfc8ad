"""TF-MOT's own procedure in the grid: gradual magnitude pruning during training (`gmp`).

Stage one trains from the seeded initialisation with TF-MOT's `prune_low_magnitude` and a
`PolynomialDecay` schedule (per layer, by magnitude) on the data the check gives; stage two takes its
masks and weights and retrains on clean data with the learning-rate schedule restarted (as learning-rate
rewinding does). What each check asks of it: random labels / random pixels / half data, does the mask
that gradual pruning finds depend on real data; rearrange, on the positions it picks inside each layer;
shuffle and reinit, on the weights it leaves behind. Score inversion does not apply.
"""
import dataclasses
from typing import Optional

from tf_tickets import checks
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.hparams import Hparams, setting
from tf_tickets.procedures.after_training import data_check
from tf_tickets.procedures.base import PROCEDURES, Procedure, Stage
from tf_tickets.run_files import FINAL_WEIGHTS, MASKS
from tf_tickets.runs import FromFile, Gradual, Outputs, Ref, Start


@dataclasses.dataclass(frozen=True)
class GmpConfig(Hparams):
    """TF-MOT's PolynomialDecay schedule."""

    gmp_begin: Duration = setting("0it", "gmp (TF-MOT's PolynomialDecay): the first pruning step.")
    gmp_end: Optional[Duration] = setting(None, "gmp: the last pruning step (default: three quarters of the run).")
    gmp_frequency: int = setting(100, "gmp: prune every this many steps.", lower_bound=1)
    gmp_power: int = setting(3, "gmp: the schedule's exponent.", lower_bound=1)


@PROCEDURES.register("gmp")
class GradualMagnitudePruning(Procedure):
    name = "gmp"
    description = "TF-MOT's gradual magnitude pruning (PolynomialDecay, per layer) while training, then the " \
                  "masks retrained from the pruned weights with the schedule restarted"
    hparams_type = GmpConfig

    def __init__(self, base, hparams=None, criterion=None):
        super().__init__(base, hparams)
        if criterion and criterion != "magnitude":
            raise TicketsError("gmp prunes by magnitude inside TF-MOT's wrapper; it takes no other criterion")

    def uses(self):
        return frozenset((checks.DATA, checks.MASKS))

    def why_not(self, check):
        return "n/a (TF-MOT ranks by magnitude while training)" if check == "invert" else super().why_not(check)

    def stages(self, sparsity, seed, check):
        base, schedule = self.base, self.hparams
        corrupt = data_check(check)
        pruning = dataclasses.replace(base.pruning, sparsity=sparsity)
        gradual = Gradual(schedule.gmp_begin, schedule.gmp_end, schedule.gmp_frequency, schedule.gmp_power)
        prune = Stage(f"{self.slug}/pruning/sparsity{sparsity:g}/{corrupt or 'clean'}/seed{seed}",
                      dataclasses.replace(base, train=self._train(seed), pruning=pruning, masks=gradual,
                                          start=Start(), check=corrupt, outputs=Outputs(save_weights=True)))
        ticket = dataclasses.replace(base, train=self._train(seed), pruning=pruning,
                                     masks=FromFile(Ref(prune.name, MASKS)),
                                     start=Start(weights=Ref(prune.name, FINAL_WEIGHTS)), check=check)
        return [self.part(prune, "pruning"), Stage(self.cell(sparsity, seed, check), ticket)]
