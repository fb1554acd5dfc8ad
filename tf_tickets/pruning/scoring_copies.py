"""The plain copy of a wrapped model that criteria score, made once per architecture and refilled.

Criteria score a private copy, because scoring changes it (BatchNorm statistics move in training mode,
masks are written into its weights, GraSP re-initialises the classifier). Cloning costs more than a
forward and backward pass of a small network, and a traced gradient function belongs to one model
object, so the copy is kept per architecture (a few at most) and each scoring refills every one of its
weights from the model being scored: a grid's runs of one network clone once and trace once.
"""
import collections
from typing import Optional

from tf_tickets.backend import keras, tf
from tf_tickets.models.common import architecture, blank_clone
from tf_tickets.models.second_order_batch_norm import SecondOrderBatchNormalization
from tf_tickets.pruning.carrier import carrier_of, inner_layer

KEEP = 4  # architectures kept; the least recently used copy goes first
# Layers rebuilt as a subclass for criteria that differentiate their gradient (`Criterion.second_order`).
SECOND_ORDER = {keras.layers.BatchNormalization: SecondOrderBatchNormalization}
_COPIES: "collections.OrderedDict[str, object]" = collections.OrderedDict()


def scoring_copy(wrapped, dtype: Optional[str] = None, second_order: bool = False):
    """A plain model holding `wrapped`'s current weights, masked ones zero (as stripping the masks would leave
    them), sharing no variable with it and leaving it unchanged; the same object for every model of one
    architecture, refilled on each call. `dtype`: every layer and the input in that dtype (SynFlow scores
    in float64), instead of cloning twice. `second_order`: Keras BatchNorm layers are rebuilt as
    `SecondOrderBatchNormalization`, whose gradient GraSP differentiates faster."""
    key = f"{architecture(wrapped)}|{dtype}|{second_order}"
    copy = _COPIES.get(key)
    if copy is None:
        # One clone whose mask-carrying layers are fresh copies of the layers they carry (stripping first,
        # then cloning, would rebuild the model twice); every weight is filled below.
        copy = _COPIES[key] = blank_clone(wrapped, dtype, layer_of=inner_layer,
                                          classes=SECOND_ORDER if second_order else None)
        while len(_COPIES) > KEEP:
            _COPIES.popitem(last=False)
    else:
        _COPIES.move_to_end(key)
    layers = {layer.name: layer for layer in copy.layers}
    for layer in wrapped.layers:
        inner = inner_layer(layer)
        if inner.weights:
            carrier = carrier_of(layer)
            masks = {id(w): m for w, m in carrier.masked_weights(layer)} if carrier else {}
            # Variable to variable in TensorFlow: through NumPy, each weight was copied out and back in.
            for mine, theirs in zip(layers[inner.name].weights, inner.weights):
                value = tf.cast(theirs, mine.dtype)
                mine.assign(value * tf.cast(masks[id(theirs)], mine.dtype) if id(theirs) in masks else value)
    return copy


def clear() -> None:
    """Forgets every kept copy (and the functions traced for them)."""
    _COPIES.clear()
