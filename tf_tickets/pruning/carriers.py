"""The one place that knows how a layer carries masks, for every kind of Keras, without importing any.

A *carrier* is a kind of layer that holds a 0/1 mask next to each of some weights: TF-MOT's pruning
wrapper is one (`tf_tickets.pruning.carrier.TfmotCarrier`, tf_keras); a search that trains scores instead
of weights (lottery jackpots) registers its own; Keras 3's Dense and Conv layers carry masks themselves
(`tf_tickets.pruning.keras3`). Callbacks, reports, rewinding and `prune` use the functions below and never
reach into a carrier's internals (`pruning_vars`, `pruning_obj`). A model's stack (`stacks`) is imported,
and its carriers registered, when one of its models first comes through here.
"""
import abc
import dataclasses
from typing import Dict, List, Tuple

import numpy as np

from tf_tickets import masks as mask_ops
from tf_tickets.arrays import as_numpy
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import stacks


@dataclasses.dataclass
class Target:
    """One masked weight: where it lives and its mask variable."""

    key: str  # the layer name, or "<layer>/<weight>" for a layer with several masked weights
    layer: object  # the inner layer, whose weights are the model's own
    weight: object  # its variable (tf_keras or Keras 3)
    mask: object
    kind: str = "conv"  # "dense" or "conv" (what budgets call it)
    carrier: object = dataclasses.field(default=None, repr=False)  # the MaskCarrier of its layer

    @property
    def attr(self) -> str:
        return weight_attr(self.weight)


def weight_attr(weight) -> str:
    """"kernel" for a variable named ".../conv1/kernel:0" (tf_keras) or "kernel" (Keras 3)."""
    return weight.name.split("/")[-1].split(":")[0]


class MaskCarrier(abc.ABC):
    """How one kind of layer carries masks."""

    @abc.abstractmethod
    def carries(self, layer) -> bool:
        """Whether `layer` is of this kind."""

    @abc.abstractmethod
    def masked_weights(self, layer) -> List[Tuple[object, object]]:
        """(weight, mask) pairs of the layer, in a fixed order."""

    @abc.abstractmethod
    def inner(self, layer):
        """The layer whose weights are the model's own (a wrapper's wrapped layer; the layer itself for a
        layer that carries its own masks)."""

    @abc.abstractmethod
    def apply(self, layer) -> None:
        """weights *= masks, now."""

    @abc.abstractmethod
    def strip(self, model):
        """`model` with this kind's layers replaced by plain ones holding the masked weights."""

    def kind(self, layer) -> str:
        """"dense" for a Dense layer (the last one is the classifier to budgets), else "conv"."""
        return "dense" if any(cls.__name__ == "Dense" for cls in type(layer).__mro__) else "conv"

    def mask_value(self, target: Target, key: str, mask: np.ndarray):
        """`mask` (its shape and a number dtype checked) as the value to assign to `target.mask`, checked to
        hold only 0 and 1."""
        if mask.dtype != bool and not np.all((mask == 0) | (mask == 1)):
            raise TicketsError(f"mask {key!r} holds values other than 0 and 1")
        return mask.astype(np.float32)

    def hidden_weights(self, layer) -> list:
        """The carrier's own variables in `layer` besides the masks (a search's scores): like the masks, never
        part of the model's weights (snapshots, plain copies)."""
        return []


class ScoreCarrier(MaskCarrier):
    """A carrier whose mask follows trainable scores over frozen weights (a lottery-jackpot search, one per
    Keras); `tf_tickets.callbacks.restriction` moves the masks towards the scores after each step."""

    @abc.abstractmethod
    def scores(self, layer):
        """The scores variable of `layer`'s masked weight (its shape)."""

    def hidden_weights(self, layer):
        return [self.scores(layer)]


CARRIERS: List[MaskCarrier] = []


def register(carrier: MaskCarrier) -> MaskCarrier:
    """Adds a kind of mask-carrying layer (e.g. a score-carrying layer of a jackpot search)."""
    CARRIERS.append(carrier)
    return carrier


def carrier_of(layer):
    """The carrier of `layer`, or None for a layer that carries no masks."""
    stacks.load_for(layer)
    return next((c for c in CARRIERS if c.carries(layer)), None)


def is_wrapped(layer) -> bool:
    return carrier_of(layer) is not None


def inner_layer(layer):
    carrier = carrier_of(layer)
    return carrier.inner(layer) if carrier else layer


def targets(model) -> List[Target]:
    """The masked weights of a model, in forward order."""
    found = []
    for layer in stacks.of(model).layers(model):
        carrier = carrier_of(layer)
        if carrier is None:
            continue
        pairs = carrier.masked_weights(layer)
        inner = carrier.inner(layer)
        for weight, mask in pairs:
            key = f"{inner.name}/{weight_attr(weight)}" if len(pairs) > 1 else inner.name
            found.append(Target(key, inner, weight, mask, carrier.kind(inner), carrier))
    return found


def apply_masks(model) -> None:
    """weights *= masks, now. For custom tf_keras `tf.GradientTape` loops: call it after each optimizer step.

    (The optimizer moves masked weights, whose gradients TF-MOT leaves dense, until the next forward pass in
    training mode masks them again; `fit` with TF-MOT's `UpdatePruningStep` needs no call. A Keras 3 layer
    masks its kernel in its forward pass, so gradients at masked positions are zero and custom loops need
    no call either.)
    """
    for layer in stacks.of(model).layers(model):
        carrier = carrier_of(layer)
        if carrier is not None:
            carrier.apply(layer)


def assign_masks(model, masks: Dict[str, np.ndarray]) -> None:
    """Sets the masks from {key: 0/1 array} (NumPy, or a TensorFlow, JAX or PyTorch tensor), checked, then
    zeroes masked weights. Layers are matched by name, or by position where the names differ (masks of the
    same architecture built elsewhere in the process: dense_4 for dense_8), as `masks.match_layers` says."""
    found = {t.key: t for t in targets(model)}
    masks = mask_ops.align(masks, {key: mask_ops.Slot(tuple(t.mask.shape), t.kind) for key, t in found.items()},
                           ("the model", "the masks"), "the masks do not match the model")
    values = {}
    for key, mask in masks.items():  # every mask checked before any is written: a bad one changes nothing
        target = found[key]
        mask = as_numpy(mask, f"mask {key!r}")
        if mask.dtype.kind not in "biuf":
            raise TicketsError(f"mask {key!r} holds {mask.dtype} values, not 0 and 1")
        values[key] = target.carrier.mask_value(target, key, mask)
    for key, value in values.items():
        found[key].mask.assign(value)
    apply_masks(model)


def current_masks(model) -> Dict[str, np.ndarray]:
    return {t.key: t.mask.numpy() for t in targets(model)}


def strip(model):
    """The plain model with masked weights exactly zero (for TF-MOT: its `strip_pruning`, which shares
    layers with `model`: clone it for an independent copy; for Keras 3: a new plain model)."""
    apply_masks(model)
    for carrier in list(CARRIERS):
        if any(carrier.carries(layer) for layer in stacks.of(model).layers(model)):
            model = carrier.strip(model)
    return model
