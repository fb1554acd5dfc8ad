"""Flags of the partially-trained procedures, defined next to `settings()` that reads them."""
from absl import flags

from tf_tickets.procedures.base import Settings

REWIND_TO = flags.DEFINE_string("rewind_to", "0it", "Lottery tickets rewind to this step (0it: initialisation).")
LEVELS = flags.DEFINE_integer("levels", 1, "Lottery tickets: levels of iterative magnitude pruning.")
FINETUNE_STEPS = flags.DEFINE_string("finetune_steps", "10ep", "Fine-tuning: how long, at the final learning rate.")


def settings(base) -> Settings:
    return Settings(base, rewind_to=REWIND_TO.value, levels=LEVELS.value, finetune_steps=FINETUNE_STEPS.value)
