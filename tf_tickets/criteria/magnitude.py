"""`magnitude`: |w|, the lottery-ticket criterion (Frankle & Carbin 2019)."""
import numpy as np

from tf_tickets.criteria import autodiff
from tf_tickets.criteria.base import CRITERIA, Criterion


@CRITERIA.register("magnitude")
class Magnitude(Criterion):
    name = "magnitude"

    def _score(self, model, weights, batch, seed):
        return [np.abs(w) for w in autodiff.of(model).values(weights)]
