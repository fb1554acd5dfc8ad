"""Iterative pruning that scores and ranks only the survivors (SynFlow's 100 rounds under `global`).

Round k keeps the density**(k/rounds) highest scores over all weights. Weights pruned in an earlier round
are zero, and a criterion like SynFlow scores them exactly zero, so while the round's threshold is above
zero they can never come back: the round needs the survivors' scores alone (per layer, the flat indices
kept so far, in increasing order, so ties at the threshold still go in flat order). That is the same
selection as ranking every weight, over a set that shrinks each round. Where the survivors might not
decide it (pruned weights would tie at a zero threshold, or the criterion cannot promise that they score
exactly zero), the caller goes on ranking every weight from that round on.
"""
from typing import List, Optional, Tuple

import numpy as np

from tf_tickets.budgets.global_threshold import kept_from
from tf_tickets.masks import kth_highest_of


def applies(pruner) -> bool:
    """Whether `pruner`'s rounds can rank the survivors alone."""
    return (pruner.scorer.rounds > 1 and pruner.scorer.survivor_rounds is not None
            and pruner.layer_budget.single_threshold() and not pruner.invert and not pruner.block)


def rounds(setup, density: float, count: int) -> Tuple[Optional[List[np.ndarray]], int]:
    """(the masks after the rounds done, how many were done: all `count` unless the survivors stopped
    deciding the selection; masks None when none was)."""
    total = sum(info.size for info in setup.infos)
    state = setup.pruner.scorer.survivor_rounds(setup.model, setup.variables)
    if state is None:  # the model's framework ranks survivors no faster: rank every weight
        return None, 0
    done = 0
    for step in range(1, count + 1):
        scores, exact = state.scores()
        if not exact:
            break  # pruned weights may not score zero, or a score is NaN: rank every weight
        keep = int(total * density ** (step / count))  # never more than survive: the counts only go down
        if keep <= 0:
            kept = [np.zeros(s.size, bool) for s in scores]
        else:
            at = kth_highest_of(scores, keep)
            if not at > 0:
                break  # pruned weights would tie at a zero threshold: rank every weight
            kept = kept_from(scores, keep, at)
        setup.pruner.check_scores(setup.found, scores, finite=True)  # exact: every score is finite
        state.keep(kept)
        done = step
    if not done:
        return None, 0
    masks = []
    for index, info in zip(state.survivors, setup.infos):
        mask = np.zeros(info.size, np.float32)
        mask[index] = 1
        masks.append(mask.reshape(info.shape))
    return masks, done
