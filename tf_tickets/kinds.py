"""Which Keras an object belongs to, told without importing TensorFlow, tf_keras or Keras 3.

tf_tickets has two stacks: tf_keras models carry masks in TF-MOT's wrappers (`tf_tickets.pruning.carrier`),
Keras 3 models (TensorFlow, JAX or PyTorch backend) in their own layers (`tf_tickets.pruning.keras3`). A
model, a layer or a variable is told apart by the package its class comes from (a subclassed model's class
is the user's, one of its bases Keras'), so that choosing a stack never loads the other one.
"""
import functools
import sys
from typing import Optional

TF_KERAS = "tf_keras"
KERAS3 = "keras3"

_PACKAGES = {"tf_keras": TF_KERAS, "keras": KERAS3}


def of(obj) -> Optional[str]:
    """"tf_keras", "keras3", or None for an object of neither (a NumPy array, a string, ...)."""
    return _of_class(type(obj))


@functools.lru_cache(maxsize=None)
def _of_class(cls) -> Optional[str]:
    for base in cls.__mro__:
        kind = _PACKAGES.get(base.__module__.split(".")[0])
        if kind:
            return kind
    return None


def keras_module(obj):
    """The Keras module `obj` (a model, a layer) belongs to: `tf_keras` or Keras 3's `keras`, loaded already
    (`obj` is made of it); a TypeError for anything else."""
    kind = of(obj)
    if kind is None:
        raise TypeError(f"expected a tf_keras or Keras 3 object, got {type(obj).__name__}")
    return sys.modules["tf_keras" if kind == TF_KERAS else "keras"]


def keras3_backend() -> str:
    """The backend Keras 3 runs on ("tensorflow", "jax", "torch", ...); imports Keras 3 if it is not yet."""
    keras = sys.modules.get("keras")
    if keras is None:
        import keras
    return keras.backend.backend()
