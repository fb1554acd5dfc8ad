"""`snip`: |w * dL/dw| on a class-balanced batch (Lee et al. 2019, as Su et al. run it).

L is the mean cross-entropy, BatchNorm in training mode. Option `iterations` mirrors the reference's
accumulated iterations (1 example per class, 10 iterations, for deeper ResNets and Tiny-ImageNet): the
batch is split into that many equal chunks, each a forward pass of its own (its own BatchNorm
statistics), and their gradients are summed.
"""
from typing import List

import numpy as np

from tf_tickets.criteria import autodiff
from tf_tickets.criteria.base import CRITERIA, Criterion, positive_int
from tf_tickets.errors import TicketsError


def balanced_chunks(y: np.ndarray, iterations: int) -> List[np.ndarray]:
    """Index arrays of `iterations` near-equal chunks. Chunk k holds the k-th share of each class's
    examples (by arrival), so a class-balanced batch gives class-balanced chunks, as the reference's
    iterations each draw a class-balanced batch; each chunk keeps the batch's order."""
    if iterations > len(y):
        raise TicketsError(f"iterations={iterations} needs at least that many examples, the batch has {len(y)}")
    if iterations == 1:
        return [np.arange(len(y))]
    rank = np.zeros(len(y), np.int64)
    for c in np.unique(y):
        where = np.flatnonzero(y == c)
        rank[where] = np.arange(len(where))
    order = np.argsort(rank, kind="stable")
    return [np.sort(chunk) for chunk in np.array_split(order, iterations)]


def accumulated_gradients(model, weights, batch, iterations: int) -> list:
    """Sum over the chunks of d(mean cross-entropy of the chunk)/dw (the framework's tensors)."""
    x, y = batch
    primitives = autodiff.of(model)
    total = None
    for idx in balanced_chunks(y, iterations):
        grads = primitives.loss_gradients(model, weights, x[idx], y[idx])
        total = grads if total is None else [t + g for t, g in zip(total, grads)]
    return total


@CRITERIA.register("snip")
class Snip(Criterion):
    name = "snip"
    needs_data = True
    defaults = {"iterations": 1}

    def _configure(self, iterations):
        self.iterations = positive_int("iterations", iterations)

    def _score(self, model, weights, batch, seed):
        gradients = accumulated_gradients(model, weights, batch, self.iterations)
        return autodiff.of(model).times_weights(weights, gradients, absolute=True)
