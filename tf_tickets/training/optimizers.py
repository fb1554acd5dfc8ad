"""Optimizers with the reference's *coupled* L2 weight decay.

The reference PyTorch code adds `wd * w` to every gradient before momentum (coupled L2, on every
parameter, BatchNorm and biases included). Keras' `weight_decay=` is decoupled, and a kernel
regularizer covers only the layers that declare it, so the decay is added here, in `update_step`,
after the gradients have been aggregated across replicas (adding it per replica would multiply it
by the number of replicas) and unscaled by a loss-scale optimizer.
"""
from tf_tickets.backend import keras, tf
from tf_tickets.training import choices


class _CoupledL2:
    """Mixin: gradient += l2 * variable, for every trainable variable."""

    def update_step(self, gradient, variable):
        if self.l2:
            gradient = tf.convert_to_tensor(gradient) + tf.cast(self.l2, variable.dtype) * variable
        return self._apply(gradient, variable)

    def _apply(self, gradient, variable):
        """The optimizer's own step on the decayed gradient."""
        return super().update_step(gradient, variable)

    def get_config(self):
        return {**super().get_config(), "l2": self.l2}


@keras.utils.register_keras_serializable("tf_tickets")
class CoupledL2SGD(_CoupledL2, keras.optimizers.SGD):
    def __init__(self, learning_rate=0.1, momentum=0.9, l2=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, **kwargs)
        self.l2 = float(l2)

    def _apply(self, gradient, variable):
        """Keras' momentum step, m = m * momentum - lr * g; w += m, as TensorFlow's one fused kernel instead of
        Keras' handful of ops per variable: the same values to the bit (tested against Keras' own step), and a
        small network's step is mostly per-op overhead (LeNet-300-100 on a fixed batch, 2-core CPU: 0.75x the
        time a step)."""
        if self.nesterov or not self.momentum or not isinstance(gradient, tf.Tensor) or \
                not hasattr(variable, "handle") or variable.dtype not in (tf.float32, tf.float64):
            return super()._apply(gradient, variable)  # half-precision variables: Keras' rounding op by op
        momentum = self.momentums[self._index_dict[self._var_key(variable)]]
        tf.raw_ops.ResourceApplyKerasMomentum(
            var=variable.handle, accum=momentum.handle, lr=tf.cast(self.learning_rate, variable.dtype),
            grad=gradient, momentum=tf.cast(self.momentum, variable.dtype), use_locking=False, use_nesterov=False)


@keras.utils.register_keras_serializable("tf_tickets")
class CoupledL2Adam(_CoupledL2, keras.optimizers.Adam):
    def __init__(self, learning_rate=1e-3, l2=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.l2 = float(l2)


def make_optimizer(name: str, learning_rate, momentum: float = 0.9, weight_decay: float = 0.0):
    """The reference's coupled L2 coefficient (1e-4 in Su et al.): `choices.make_optimizer`."""
    return choices.make_optimizer(name, learning_rate, momentum, weight_decay, CoupledL2SGD, CoupledL2Adam)
