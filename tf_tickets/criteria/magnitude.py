"""`magnitude`: |w|, the lottery-ticket criterion (Frankle & Carbin 2019)."""
import numpy as np

from tf_tickets.criteria.base import CRITERIA, Criterion
from tf_tickets.criteria.gradients import values


@CRITERIA.register("magnitude")
class Magnitude(Criterion):
    name = "magnitude"

    def _score(self, model, weights, batch, seed):
        return [np.abs(w) for w in values(weights)]
