"""Sanity checks, one registry: what each check acts on, what it destroys, and how it is applied.

A check destroys one kind of information a ticket may carry and keeps everything else (Su et al.
2020; Frankle et al. 2021; see docs/methods.md "Sanity checks"). It acts on one of:

- `data`: the data the pruning step sees (a dense run: its training data), via `corrupt(data, seed)`;
- `masks` / `weights`: the ticket when its training starts, via a Keras callback `callback(context)`;
- `scores`: the criterion's ranking, via options handed to the `Pruner` (`pruner_options`).

A check applies to a procedure when the procedure uses what the check needs (`needs`: "data",
"masks" or "scores"); otherwise its verdict is `when_not` and it is not run. Adding a check is one
`register(Check(...))` here plus the function it applies.
"""
import dataclasses
import functools
from typing import Callable, Dict, List, Optional

from tf_tickets.callbacks import checks as mask_checks
from tf_tickets.callbacks.rewind import AtFirstStep
from tf_tickets.data import corrupt
from tf_tickets.registry import Registry

DATA, MASKS, WEIGHTS, SCORES = "data", "masks", "weights", "scores"


@dataclasses.dataclass
class CheckContext:
    """What a mask- or weight-side check may need when the ticket starts training.

    `start_weights()` snapshots the weights the run starts from, before any mask zeroes them (called
    when the check's callback is made); `fresh_weights()` gives a differently seeded initialisation.
    """

    seed: int
    start_step: int
    start_weights: Callable[[], Dict]
    fresh_weights: Callable[[], Dict]


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    label: str  # as tables show it
    acts_on: str  # data | masks | weights | scores
    destroys: str  # one line: the information the check removes
    needs: str  # what a procedure must use for the check to mean anything: data | masks | scores
    when_not: str = "n/a"  # the verdict where it does not apply
    default: bool = True  # run when no checks are named
    corrupt: Optional[Callable] = None  # data: (ImageData, seed) -> ImageData
    callback: Optional[Callable] = None  # masks, weights: (CheckContext) -> keras Callback
    pruner_options: tuple = ()  # scores: ((option, value), ...) for the Pruner

    def applies_to(self, uses) -> bool:
        return self.needs in uses


CHECKS = Registry("check")


def register(check: Check) -> Check:
    CHECKS.register(check.name)(check)
    return check


def get(name: str) -> Check:
    """The check called `name`; a one-line TicketsError if unknown."""
    return CHECKS.get(name)


def names(default_only: bool = False) -> List[str]:
    """Check names in registration order (data checks first)."""
    return [n for n in CHECKS.in_order() if not default_only or CHECKS.get(n).default]


def label(name: Optional[str]) -> str:
    return get(name).label if name else "none (the method itself)"


_NO_DATA = "does not (it uses no data)"

register(Check("random_labels", "random labels", DATA, "which label goes with which image", DATA, _NO_DATA,
               corrupt=lambda data, seed: corrupt.random_labels(data, 1.0, seed=seed)))
register(Check("random_pixels", "random pixels", DATA, "image content (pixels permuted per image; labels "
               "randomised too, as in the reference)", DATA, _NO_DATA,
               corrupt=lambda data, seed: corrupt.random_pixels(data, seed=seed)))
register(Check("half_data", "half dataset", DATA, "half of the training data", DATA, _NO_DATA,
               corrupt=lambda data, seed: corrupt.subsample(data, 0.5, seed=seed)))
register(Check("rearrange", "layerwise rearrange", MASKS, "mask positions inside each layer (counts kept)", MASKS,
               callback=lambda c: mask_checks.RearrangeMasks(c.seed, c.start_weights(), c.start_step)))
register(Check("global_shuffle", "global rearrange", MASKS, "mask positions and per-layer counts (all masks "
               "permuted together)", MASKS, default=False,
               callback=lambda c: AtFirstStep(c.start_step, functools.partial(
                   mask_checks.shuffle_masks_globally, seed=c.seed, weights=c.start_weights()))))
register(Check("shuffle", "weight shuffling", WEIGHTS, "which kept value sits at which kept position", MASKS,
               callback=lambda c: mask_checks.ShuffleWeights(c.seed, c.start_step)))
register(Check("reinit", "reinitialisation", WEIGHTS, "the initial values (same masks, fresh weights)", MASKS,
               callback=lambda c: mask_checks.Reinitialize(c.fresh_weights(), c.start_step)))
register(Check("invert", "score inversion", SCORES, "the ranking (keeps the lowest-scoring weights)", SCORES,
               "n/a (its scores are random)", pruner_options=(("invert", True),)))
