"""The tf_keras stack: masks in TF-MOT's wrappers (and in a jackpot search's score layers), scored on a plain
copy kept per architecture. Everything here is what the package did before Keras 3 models came in."""
import numpy as np

from tf_tickets import models
from tf_tickets.backend import tf
from tf_tickets.pruning import carrier, graph, scores, scoring_copies, stacks, wrapping  # noqa: F401  (carriers)


class TfmotStack(stacks.Stack):
    def check_model(self, model):
        wrapping.check_model(model)

    def wrap(self, model, policy):
        return wrapping.wrap(model, policy)

    def layers(self, model):
        return model.layers

    def graph(self, model):
        return (graph.inbound(model), *graph.ends(model))

    def scoring_copy(self, wrapped, dtype=None, second_order=False):
        return scoring_copies.scoring_copy(wrapped, dtype, second_order)

    def is_residual(self, model):
        return models.is_residual(model)

    def num_classes(self, model):
        return int(model.output_shape[-1])

    def float_masks(self, kept):
        """Cast by TensorFlow and read without a copy (so read-only). NumPy's cast writes a fresh allocation the
        size of the network, whose page faults took 60-90 ms of a GraSP scoring on VGG19's 20 M weights here
        (0.1-0.15 of a forward+backward pass); TensorFlow's reuses its freed buffers."""
        return [np.asarray(tf.cast(k, tf.float32)) for k in kept]


STACK = TfmotStack()
