"""The framework primitives criteria are computed from, one implementation per framework.

    primitives = autodiff.of(model)
    gradients = primitives.loss_gradients(model, weights, x, y)      # then the criterion's own formula

tf_keras models: TensorFlow's tape, with the optimised paths the package has always used (`tf_keras`:
traced on reuse, SynFlow's float64 copy and its rounds over the survivors). Keras 3 models: the model run
statelessly (`keras3`), differentiated by the backend's own autodiff: `tf.GradientTape` (`keras3_tensorflow`),
`jax.grad`/`jax.jvp` (`keras3_jax`), `torch.autograd` (`keras3_torch`). A framework's module is imported only
for a model of its kind: a Keras 3 model on JAX or PyTorch never loads TensorFlow.
"""
import importlib

from tf_tickets import kinds
from tf_tickets.criteria.autodiff.base import Autodiff
from tf_tickets.errors import TicketsError

_KERAS3 = {"tensorflow": "keras3_tensorflow", "jax": "keras3_jax", "torch": "keras3_torch"}

__all__ = ["Autodiff", "of"]


def of(model) -> Autodiff:
    """The primitives for `model`'s framework."""
    kind = kinds.of(model)
    if kind == kinds.TF_KERAS:
        return importlib.import_module(f"{__name__}.tf_keras").PRIMITIVES
    if kind == kinds.KERAS3:
        backend = kinds.keras3_backend()
        if backend not in _KERAS3:
            raise TicketsError(f"Keras 3 on the {backend} backend is not supported: use tensorflow, jax or torch")
        return importlib.import_module(f"{__name__}.{_KERAS3[backend]}").PRIMITIVES
    raise TicketsError(f"expected a Keras model (tf_keras or Keras 3), got {type(model).__name__}")
