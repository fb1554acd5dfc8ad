"""The model that export converts: wrappers stripped, masked weights exactly zero, float32 throughout.

A mixed-precision model does not convert to TFLite (its float16 casts need Select ops), so it is
rebuilt layer by layer from its own configs with a float32 dtype and given the same weights. The
result is a new model: exporting never changes the user's. A Keras 3 model's copy is
`tf_tickets.export.keras3`'s.
"""
from typing import Dict, Iterable

import numpy as np

from tf_tickets import kinds


def float32_model(model):
    """A float32 copy of `model` with masks applied and wrappers stripped (same weights, same outputs)."""
    if kinds.of(model) == kinds.KERAS3:
        from tf_tickets.export import keras3

        return keras3.float32_model(model)
    from tf_tickets.backend import keras
    from tf_tickets.models.common import BlankCopy
    from tf_tickets.pruning import strip

    stripped = strip(model)
    with BlankCopy("float32") as rebuild:  # the exported file's layers keep their own initializers
        copy = keras.models.clone_model(stripped, clone_function=rebuild)
    copy.set_weights(stripped.get_weights())
    return copy


def kernel_counts(weights: Iterable) -> Dict[str, int]:
    """Non-zero and total values of the weights with two or more dimensions (the kernels of Dense layers
    and convolutions): one rule for the model and for every file made from it."""
    arrays = [np.asarray(w) for w in weights if len(w.shape) >= 2]
    return {"nonzero": int(sum(np.count_nonzero(a) for a in arrays)), "total": int(sum(a.size for a in arrays))}
