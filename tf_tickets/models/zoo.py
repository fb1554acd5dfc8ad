"""The model zoo: Functional models by open_lth-style name, built by `build` (re-exported by `tf_tickets.models`)
in tf_keras, or in Keras 3 on any backend from the same family code. Importing it loads no framework."""
import numbers
from typing import List, Optional, Sequence

from tf_tickets.errors import TicketsError
from tf_tickets.models import conv, lenet, resnet, vgg  # noqa: F401  (they register their families)
from tf_tickets.models.families import CLASSIFIER, MODELS  # noqa: F401  (CLASSIFIER: re-exported)
from tf_tickets.models.initializers import Seeds


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def build(name: str, input_shape: Sequence[int], num_classes: int, seed: Optional[int] = None, keras=None):
    """A fresh Functional model called `name`; same seed, same initial weights (None: random). `keras`: the Keras
    to build it with, tf_keras by default (what TF-MOT wraps); Keras 3's `keras` module gives a Keras 3 model on
    its backend, of the same architecture (its random draws differ from tf_keras's for the same seed)."""
    if keras is None:
        from tf_tickets.backend import keras
    family, kwargs = MODELS.lookup(name)
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if not shape or not all(_is_int(d) and int(d) > 0 for d in shape):
        raise TicketsError(f"input_shape must be a non-empty sequence of positive integers, got {input_shape!r}")
    if not _is_int(num_classes) or int(num_classes) < 2:
        raise TicketsError(f"num_classes must be an integer of at least 2, got {num_classes!r}")
    seeds = Seeds(seed)
    inputs = keras.Input(shape=tuple(int(d) for d in shape), name="input")
    outputs = family(keras, inputs, int(num_classes), seeds, **kwargs)
    return keras.Model(inputs, outputs, name=name)


def names() -> List[str]:
    """Known model names; families shown as patterns."""
    return MODELS.names()
