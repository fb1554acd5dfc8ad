"""Flags of the partially-trained procedures, defined next to `settings()` that reads them."""
from absl import flags

from tf_tickets.jackpot import SEARCH_SCHEDULES, SearchConfig
from tf_tickets.procedures.base import Settings

REWIND_TO = flags.DEFINE_string("rewind_to", "0it", "Lottery tickets rewind to this step (0it: initialisation).")
LEVELS = flags.DEFINE_integer("levels", 1, "Lottery tickets: levels of iterative magnitude pruning.")
FINETUNE_STEPS = flags.DEFINE_string("finetune_steps", "10ep", "Fine-tuning: how long, at the final learning rate.")
GMP_BEGIN = flags.DEFINE_string("gmp_begin", "0it", "gmp (TF-MOT's PolynomialDecay): the first pruning step.")
GMP_END = flags.DEFINE_string("gmp_end", None, "gmp: the last pruning step (default: three quarters of the run).")
GMP_FREQUENCY = flags.DEFINE_integer("gmp_frequency", 100, "gmp: prune every this many steps.", lower_bound=1)
GMP_POWER = flags.DEFINE_integer("gmp_power", 3, "gmp: the schedule's exponent.", lower_bound=1)
LEVEL_RATE = flags.DEFINE_float("level_rate", None, "Lottery tickets: prune this fraction of the remaining weights "
                                 "at each level (0.2: the lottery-ticket standard) until --sparsity, instead of "
                                 "--levels equal steps; earlier levels are shared by grids at several sparsities.")
SEARCH_STEPS = flags.DEFINE_string("search_steps", None, "jackpot: how long the scores are searched (default: "
                                   "--training_steps).")
_S = SearchConfig()
SEARCH_LR = flags.DEFINE_float("search_lr", _S.lr, "jackpot: the search's peak learning rate (SGD on the scores).")
SEARCH_MOMENTUM = flags.DEFINE_float("search_momentum", _S.momentum, "jackpot: the search's SGD momentum.")
SEARCH_WEIGHT_DECAY = flags.DEFINE_float("search_weight_decay", _S.weight_decay, "jackpot: coupled weight decay on "
                                         "the scores.")
SEARCH_BATCH_SIZE = flags.DEFINE_integer("search_batch_size", _S.batch_size, "jackpot: the search's batch size.")
SEARCH_LR_SCHEDULE = flags.DEFINE_enum("search_lr_schedule", _S.lr_schedule, list(SEARCH_SCHEDULES),
                                       "jackpot: the search's learning-rate schedule.")
JACKPOT_RATE = flags.DEFINE_enum("jackpot_rate", _S.rate, ["constant", "cosine"], "jackpot: short restriction's rate: "
                                 "constant (1: every candidate flips after each step, as the authors' code runs it) or "
                                 "cosine (0.5(1+cos(pi epoch/epochs)): described in the paper, defined in the authors' "
                                 "code but never used).")
JACKPOT_BATCH_STATISTICS = flags.DEFINE_boolean(
    "jackpot_batch_statistics", _S.batch_statistics, "jackpot: BatchNorm normalises with batch statistics and "
    "updates its moving ones while the scores are searched, its scale and offset frozen (the reference's train "
    "mode); --nojackpot_batch_statistics: the pre-trained moving statistics, frozen like every weight.")
TUNE_STEPS = flags.DEFINE_string("tune_steps", None, "jackpot: then tune the found ticket's weights this long "
                                 "(default: no tuning; the mask and weight checks need it).")
SEARCH_FLAGS = ("search_lr", "search_momentum", "search_weight_decay", "search_batch_size", "search_lr_schedule",
                "jackpot_rate", "jackpot_batch_statistics")


def search_config() -> SearchConfig:
    """The jackpot search's settings from its own flags (never from the training flags)."""
    return SearchConfig(lr=SEARCH_LR.value, momentum=SEARCH_MOMENTUM.value, weight_decay=SEARCH_WEIGHT_DECAY.value,
                        batch_size=SEARCH_BATCH_SIZE.value, lr_schedule=SEARCH_LR_SCHEDULE.value,
                        rate=JACKPOT_RATE.value, batch_statistics=JACKPOT_BATCH_STATISTICS.value)


def settings(base) -> Settings:
    return Settings(base, rewind_to=REWIND_TO.value, levels=LEVELS.value, level_rate=LEVEL_RATE.value,
                    finetune_steps=FINETUNE_STEPS.value, gmp_begin=GMP_BEGIN.value, gmp_end=GMP_END.value,
                    gmp_frequency=GMP_FREQUENCY.value, gmp_power=GMP_POWER.value, search_steps=SEARCH_STEPS.value,
                    search=search_config(), tune_steps=TUNE_STEPS.value)
