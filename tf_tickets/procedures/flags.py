"""Flags of the partially-trained procedures, defined next to `settings()` that reads them."""
from absl import flags

from tf_tickets.procedures.base import Settings

REWIND_TO = flags.DEFINE_string("rewind_to", "0it", "Lottery tickets rewind to this step (0it: initialisation).")
LEVELS = flags.DEFINE_integer("levels", 1, "Lottery tickets: levels of iterative magnitude pruning.")
FINETUNE_STEPS = flags.DEFINE_string("finetune_steps", "10ep", "Fine-tuning: how long, at the final learning rate.")
GMP_BEGIN = flags.DEFINE_string("gmp_begin", "0it", "gmp (TF-MOT's PolynomialDecay): the first pruning step.")
GMP_END = flags.DEFINE_string("gmp_end", None, "gmp: the last pruning step (default: three quarters of the run).")
GMP_FREQUENCY = flags.DEFINE_integer("gmp_frequency", 100, "gmp: prune every this many steps.", lower_bound=1)
GMP_POWER = flags.DEFINE_integer("gmp_power", 3, "gmp: the schedule's exponent.", lower_bound=1)
SEARCH_STEPS = flags.DEFINE_string("search_steps", None, "jackpot: how long the scores are searched (default: "
                                   "--training_steps), with a cosine learning rate from --lr.")
JACKPOT_RATE = flags.DEFINE_enum("jackpot_rate", "constant", ["constant", "cosine"], "jackpot: short restriction's "
                                 "rate: constant (1: per-layer top-k after each step) or cosine (the paper's).")
JACKPOT_BATCH_STATISTICS = flags.DEFINE_boolean(
    "jackpot_batch_statistics", False, "jackpot: BatchNorm normalises with batch statistics and updates its moving "
    "ones while the scores are searched (default: the pre-trained moving statistics, frozen like every weight).")
TUNE_STEPS = flags.DEFINE_string("tune_steps", None, "jackpot: then tune the found ticket's weights this long "
                                 "(default: no tuning; the mask and weight checks need it).")


def settings(base) -> Settings:
    return Settings(base, rewind_to=REWIND_TO.value, levels=LEVELS.value, finetune_steps=FINETUNE_STEPS.value,
                    gmp_begin=GMP_BEGIN.value, gmp_end=GMP_END.value, gmp_frequency=GMP_FREQUENCY.value,
                    gmp_power=GMP_POWER.value, search_steps=SEARCH_STEPS.value, jackpot_rate=JACKPOT_RATE.value,
                    jackpot_batch_statistics=JACKPOT_BATCH_STATISTICS.value,
                    tune_steps=TUNE_STEPS.value)
