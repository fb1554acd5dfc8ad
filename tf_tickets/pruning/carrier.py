"""The one place that knows how a layer carries masks.

A *carrier* is a kind of layer that holds a 0/1 mask next to each of some weights: TF-MOT's pruning
wrapper is one (`TfmotCarrier`); a search that trains scores instead of weights (lottery jackpots)
registers its own. Callbacks, reports, rewinding and `prune` use the functions below and never reach
into a carrier's internals (`pruning_vars`, `pruning_obj`).
"""
import abc
import dataclasses
from typing import Dict, List, Tuple

import numpy as np

from tf_tickets.backend import keras, tf, tfmot
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import fixed_mask_updates  # noqa: F401  (no mask update traced for a FixedMask)
from tf_tickets.pruning import full_precision_masking  # noqa: F401  (TF-MOT masks the float32 weights)


@dataclasses.dataclass
class Target:
    """One masked weight: where it lives and its mask variable."""

    key: str  # the layer name, or "<layer>/<weight>" for a layer with several masked weights
    layer: keras.layers.Layer  # the inner layer, whose weights are the model's own
    weight: tf.Variable
    mask: tf.Variable

    @property
    def attr(self) -> str:
        return weight_attr(self.weight)

    @property
    def kind(self) -> str:
        return "dense" if isinstance(self.layer, keras.layers.Dense) else "conv"


def weight_attr(weight) -> str:
    """"kernel" for a variable named ".../conv1/kernel:0"."""
    return weight.name.split("/")[-1].split(":")[0]


class MaskCarrier(abc.ABC):
    """How one kind of layer carries masks."""

    @abc.abstractmethod
    def carries(self, layer) -> bool:
        """Whether `layer` is of this kind."""

    @abc.abstractmethod
    def masked_weights(self, layer) -> List[Tuple[tf.Variable, tf.Variable]]:
        """(weight, mask) pairs of the layer, in a fixed order."""

    @abc.abstractmethod
    def inner(self, layer) -> keras.layers.Layer:
        """The layer whose weights are the model's own (a wrapper's wrapped layer)."""

    @abc.abstractmethod
    def apply(self, layer) -> None:
        """weights *= masks, now."""

    @abc.abstractmethod
    def strip(self, model) -> keras.Model:
        """`model` with this kind's layers replaced by plain ones holding the masked weights."""


class TfmotCarrier(MaskCarrier):
    """TF-MOT's pruning wrapper (`prune_low_magnitude` applied to a layer)."""

    def carries(self, layer):
        return isinstance(layer, keras.layers.Wrapper) and hasattr(layer, "pruning_vars")

    def masked_weights(self, layer):
        return [(weight, mask) for weight, mask, _ in layer.pruning_vars]

    def inner(self, layer):
        return layer.layer

    def apply(self, layer):
        layer.pruning_obj.weight_mask_op()

    def strip(self, model):
        return tfmot.sparsity.keras.strip_pruning(model)


CARRIERS: List[MaskCarrier] = [TfmotCarrier()]


def register(carrier: MaskCarrier) -> MaskCarrier:
    """Adds a kind of mask-carrying layer (e.g. a score-carrying layer of a jackpot search)."""
    CARRIERS.append(carrier)
    return carrier


def carrier_of(layer):
    """The carrier of `layer`, or None for a layer that carries no masks."""
    return next((c for c in CARRIERS if c.carries(layer)), None)


def is_wrapped(layer) -> bool:
    return carrier_of(layer) is not None


def inner_layer(layer) -> keras.layers.Layer:
    carrier = carrier_of(layer)
    return carrier.inner(layer) if carrier else layer


def targets(model) -> List[Target]:
    """The masked weights of a model, in forward order."""
    found = []
    for layer in model.layers:
        carrier = carrier_of(layer)
        if carrier is None:
            continue
        pairs = carrier.masked_weights(layer)
        inner = carrier.inner(layer)
        for weight, mask in pairs:
            key = f"{inner.name}/{weight_attr(weight)}" if len(pairs) > 1 else inner.name
            found.append(Target(key, inner, weight, mask))
    return found


def apply_masks(model) -> None:
    """weights *= masks, now. For custom `tf.GradientTape` loops: call it after each optimizer step.

    (The optimizer moves masked weights, whose gradients are dense, until the next forward pass in
    training mode masks them again; `fit` with TF-MOT's `UpdatePruningStep` needs no call.)
    """
    for layer in model.layers:
        carrier = carrier_of(layer)
        if carrier is not None:
            carrier.apply(layer)


def assign_masks(model, masks: Dict[str, np.ndarray]) -> None:
    """Sets the masks from {key: 0/1 array}, checked, then zeroes masked weights."""
    found = {t.key: t for t in targets(model)}
    unknown = sorted(set(masks) - set(found))
    missing = sorted(set(found) - set(masks))
    if unknown or missing:
        raise TicketsError("the masks do not match the model: "
                           + "; ".join(filter(None, [unknown and f"not in the model: {', '.join(unknown[:5])}",
                                                     missing and f"no mask for: {', '.join(missing[:5])}"])))
    for key, mask in masks.items():
        target = found[key]
        mask = np.asarray(mask)
        if tuple(mask.shape) != tuple(target.mask.shape):
            raise TicketsError(f"mask {key!r} has shape {tuple(mask.shape)}, the model's weight has "
                               f"{tuple(target.mask.shape)}")
        # Checked and cast in TensorFlow: NumPy's temporaries the size of the network page-fault (on VGG19,
        # 0.08-0.11 of a forward+backward pass against 0.05 here, profiled in `tf_tickets.prune`).
        if mask.dtype.kind not in "biuf":
            raise TicketsError(f"mask {key!r} holds {mask.dtype} values, not 0 and 1")
        value = tf.convert_to_tensor(mask)
        if value.dtype != tf.bool and not bool(tf.reduce_all((value == 0) | (value == 1))):
            raise TicketsError(f"mask {key!r} holds values other than 0 and 1")
        target.mask.assign(tf.cast(value, target.mask.dtype))
    apply_masks(model)


def current_masks(model) -> Dict[str, np.ndarray]:
    return {t.key: t.mask.numpy() for t in targets(model)}


def strip(model) -> keras.Model:
    """The plain model with masked weights exactly zero (for TF-MOT: its `strip_pruning`).

    Strip shares layers with `model` (as TF-MOT's does); clone it for an independent copy.
    """
    apply_masks(model)
    for carrier in CARRIERS:
        if any(carrier.carries(layer) for layer in model.layers):
            model = carrier.strip(model)
    return model
