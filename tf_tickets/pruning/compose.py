"""Masks of several trained networks combined at exactly one sparsity (Movva, Frankle & Carbin).

    masks = tf_tickets.combine_masks([sibling_a, sibling_b, sibling_c], "union", sparsity=0.9)
    ticket = tf_tickets.prune(init_model, masks=masks)   # retrain from the shared start point

Each network is ranked once by the criterion under the budget (`Pruner.ranking`). The member density
(the same for all) whose union or intersection keeps at least what one member alone keeps at the
sparsity is found by bisection (`masks.search_density`); the few extra kept weights are trimmed, fewest
votes first, then lowest mean score: over all layers for the global budget, within each layer to the
lone member's counts for any other budget, so that the layer budget survives.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from absl import logging

from tf_tickets import masks as mask_ops
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import stacks
from tf_tickets.pruning.pruner import Pruner

COMBINATIONS = {"union": mask_ops.union, "intersection": mask_ops.intersection}


def combine(op: str, rankings: Sequence, sparsity: float, budget: str) -> Dict[str, np.ndarray]:
    """The union or intersection of the `rankings`' masks (`Pruner.ranking`, one per network), re-targeted
    to exactly the weights the first of them keeps alone at `sparsity`."""
    if op not in COMBINATIONS:
        raise TicketsError(f"unknown mask combination {op!r}; known: {', '.join(COMBINATIONS)}")
    if len(rankings) < 2:
        raise TicketsError(f"a {op} needs at least two networks, got {len(rankings)}")
    # The networks' layers matched once, kinds and shapes (by name, else by position: `masks.match_layers`);
    # every mask set below is keyed as the first network's, as union, intersection and votes key theirs.
    first = _layout(rankings[0])
    scores = [mask_ops.align(r.by_key(), first, ("network 1", f"network {number}"), slots=_layout(r))
              for number, r in enumerate(rankings, start=1)]
    alone = rankings[0].masks(1.0 - sparsity)
    keep = mask_ops.kept(alone)
    member_density, combined = mask_ops.search_density(
        lambda d: COMBINATIONS[op]([r.masks(d) for r in rankings]), keep, tolerance=max(1, keep // 10000))
    votes = mask_ops.votes([r.masks(member_density) for r in rankings])
    mean_scores = {k: np.mean([np.abs(s[k]) for s in scores], axis=0) for k in alone}
    top = max((float(np.max(v)) for v in mean_scores.values() if np.size(v)), default=0.0) or 1.0
    priority = {k: votes[k] + 0.5 * mean_scores[k] / top for k in alone}  # votes first, then the mean score
    if budget == "global":
        result = mask_ops.retarget(combined, keep, priority)
    else:
        counts = {k: int(np.count_nonzero(v)) for k, v in alone.items()}
        result = mask_ops.retarget_per_layer(combined, counts, priority)
    logging.info("%s of %d: member density %.4f keeps %d, re-targeted to %d (density %.4f)", op, len(rankings),
                 member_density, mask_ops.kept(combined), keep, mask_ops.density(result))
    return result


def _layout(ranking) -> mask_ops.Layout:
    return {info.name: mask_ops.Slot(tuple(info.shape), info.kind) for info in ranking.setup.infos}


def combine_masks(models, op: str = "union", sparsity: float = 0.9, criterion: str = "magnitude",
                  budget: str = "global", policy="conv_dense", data=None, seed: int = 0,
                  criterion_options: Optional[dict] = None, budget_options: Optional[dict] = None) -> Dict[str, np.ndarray]:
    """Masks ({layer name: 0/1 array}) combining trained `models` of one architecture (siblings; tf_keras, or
    Keras 3 on any backend)
    by `op` ("union" or "intersection"), keeping exactly as many weights as one of them pruned alone by
    `criterion` under `budget` at `sparsity`. `data` for a data-dependent criterion. Layers are matched by
    name, or by position where the names differ (models built in one process: dense_4, dense_8), and the
    masks carry the first model's names. The models are not changed; hand the masks to
    `tf_tickets.prune(start_model, masks=...)`, which matches layers the same way."""
    models = list(models) if isinstance(models, (list, tuple)) else models
    if not isinstance(models, list) or len(models) < 2:
        raise TicketsError(f"a {op} needs a list of at least two networks, got {_count(models)}")
    if op not in COMBINATIONS:
        raise TicketsError(f"unknown mask combination {op!r}; known: {', '.join(COMBINATIONS)}")
    for model in models:
        stacks.of(model).check_model(model)  # tf_keras or Keras 3, each one a model masks can go on
    if len({stacks.of(model) for model in models}) > 1:
        raise TicketsError("the networks mix tf_keras and Keras 3 models: combine networks of one Keras")
    pruner = Pruner(criterion, sparsity, budget, seed, criterion_options, budget_options)
    rankings = [pruner.ranking(stacks.of(model).wrap(model, policy), data=data) for model in models]
    return combine(op, rankings, sparsity, budget)


def _count(models) -> str:
    return str(len(models)) if isinstance(models, list) else f"a {type(models).__name__}"
