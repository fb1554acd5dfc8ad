"""`obd`: Optimal Brain Damage (LeCun et al. 1990): saliency 0.5 * H_ii * w^2.

H_ii is the diagonal of the empirical Fisher: the mean over the batch's examples of the squared
per-example gradient of the cross-entropy. OBD scores trained weights, and a per-example gradient is
only defined when an example's loss does not depend on the rest of the batch, so BatchNorm runs in
inference mode here (`training=False`, the moving statistics a trained net predicts with), unlike
SNIP and GraSP. The examples go one at a time (micro-batches of 1, squares summed as they come, so memory
stays at one copy of the weights): for tf_keras in one compiled loop (`tf.vectorized_map` has no vectorised
Conv2DBackpropFilter and was 4x slower on CPU).
"""
import numpy as np

from tf_tickets.criteria import autodiff
from tf_tickets.criteria.base import CRITERIA, Criterion


@CRITERIA.register("obd")
class Obd(Criterion):
    name = "obd"
    needs_data = True

    def _score(self, model, weights, batch, seed):
        primitives = autodiff.of(model)
        fisher = primitives.fisher_diagonal(model, weights, *batch)
        return [0.5 * f * np.square(w) for f, w in zip(fisher, primitives.values(weights))]
