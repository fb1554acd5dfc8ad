"""Keras 3 optimizers with the reference's *coupled* L2 weight decay (`tf_tickets.training.optimizers` says why).

The decay is added to the gradient in `update_step`, which Keras 3 calls per variable on every backend (inside
JAX's stateless apply too), after the gradients are aggregated and unscaled.
"""
import keras
from keras import ops

from tf_tickets.training import choices


class _CoupledL2:
    """Mixin: gradient += l2 * variable, for every trainable variable."""

    def update_step(self, gradient, variable, learning_rate):
        if self.l2:
            decay = ops.multiply(ops.cast(self.l2, variable.dtype), variable)
            gradient = ops.add(ops.cast(gradient, variable.dtype), decay)
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "l2": self.l2}


@keras.saving.register_keras_serializable("tf_tickets")
class CoupledL2SGD(_CoupledL2, keras.optimizers.SGD):
    def __init__(self, learning_rate=0.1, momentum=0.9, l2=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, **kwargs)
        self.l2 = float(l2)


@keras.saving.register_keras_serializable("tf_tickets")
class CoupledL2Adam(_CoupledL2, keras.optimizers.Adam):
    def __init__(self, learning_rate=1e-3, l2=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.l2 = float(l2)


def make_optimizer(name: str, learning_rate, momentum: float = 0.9, weight_decay: float = 0.0):
    """As `tf_tickets.training.optimizers.make_optimizer`, with Keras 3's classes."""
    return choices.make_optimizer(name, learning_rate, momentum, weight_decay, CoupledL2SGD, CoupledL2Adam)
