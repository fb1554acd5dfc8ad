"""Putting TF-MOT's pruning wrapper on the layers a policy picks, on a copy of the user's model.

TF-MOT's wrapper reuses the layer it wraps, so wrapping the caller's model in place would let our
masks zero the caller's weights. Everything here works on a clone with copied weights.
"""
import dataclasses
from typing import Callable, List, Optional

import numpy as np
import tensorflow_model_optimization as tfmot

from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import policies
from tf_tickets.pruning.schedules import FixedMask

Wrapper = tfmot.sparsity.keras.prune_low_magnitude  # applied to a layer, returns TF-MOT's wrapper


def check_model(model) -> None:
    """One-line errors for models TF-MOT cannot wrap."""
    if not isinstance(model, keras.Model):
        kind = type(model).__module__.split(".")[0]
        if kind == "keras":
            raise TicketsError("this is a Keras 3 model; TF-MOT needs Keras 2: build it with `import tf_keras as "
                               "keras` (or `from tf_tickets.backend import keras`)")
        raise TicketsError(f"expected a tf_keras Model, got {type(model).__name__}")
    if not (isinstance(model, keras.Sequential) or getattr(model, "_is_graph_network", False)):
        raise TicketsError(f"{type(model).__name__} is a subclassed model; TF-MOT can wrap only Functional or "
                           "Sequential models: rebuild it with keras.Input(...) and layer calls")


def clone_with_weights(model) -> keras.Model:
    """An independent copy: new layers, same architecture and weights."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def is_wrapped(layer) -> bool:
    return isinstance(layer, keras.layers.Wrapper) and hasattr(layer, "pruning_vars")


def wrap(model, policy="conv_dense", schedule_for: Optional[Callable] = None) -> keras.Model:
    """A copy of `model` whose layers picked by `policy` carry TF-MOT masks (all ones).

    `schedule_for(layer)` gives each wrapped layer its PruningSchedule (default: FixedMask).
    """
    check_model(model)
    policy = policies.make(policy, model)
    try:
        policy.ensure_model_supports_pruning(model)
    except ValueError as error:
        raise TicketsError(f"the model does not fit pruning policy {type(policy).__name__}: {error}") from None
    schedule_for = schedule_for or (lambda layer: FixedMask())
    source = clone_with_weights(model)

    def wrap_layer(layer):
        if policy.allow_pruning(layer):
            # The wrapper computes in the wrapped layer's dtype: a float32 classifier in a mixed-precision
            # model stays float32 (else its mask would be cast to bfloat16/float16 and clash).
            return Wrapper(layer, pruning_schedule=schedule_for(layer), dtype=layer.dtype_policy)
        return layer

    wrapped = keras.models.clone_model(source, clone_function=wrap_layer)
    if not any(is_wrapped(layer) for layer in wrapped.layers):
        raise TicketsError(f"nothing to prune: no layer of {model.name!r} is picked by the pruning policy "
                           "(Conv/Dense layers, or layers implementing tfmot PrunableLayer)")
    return wrapped


@dataclasses.dataclass
class Target:
    """One masked weight: where it lives and its mask variable."""

    key: str  # the layer name, or "<layer>/<weight>" for a layer with several masked weights
    layer: keras.layers.Layer  # the inner (wrapped) layer
    weight: tf.Variable
    mask: tf.Variable

    @property
    def attr(self) -> str:
        return self.weight.name.split("/")[-1].split(":")[0]

    @property
    def kind(self) -> str:
        return "dense" if isinstance(self.layer, keras.layers.Dense) else "conv"


def targets(model) -> List[Target]:
    """The masked weights of a wrapped model, in forward order."""
    found = []
    for wrapper in model.layers:
        if not is_wrapped(wrapper):
            continue
        several = len(wrapper.pruning_vars) > 1
        for weight, mask, _ in wrapper.pruning_vars:
            attr = weight.name.split("/")[-1].split(":")[0]
            key = f"{wrapper.layer.name}/{attr}" if several else wrapper.layer.name
            found.append(Target(key, wrapper.layer, weight, mask))
    return found


def apply_masks(model) -> None:
    """weights *= masks, now. For custom `tf.GradientTape` loops: call it after each optimizer step.

    (The optimizer moves masked weights, whose gradients are dense, until the next forward pass in
    training mode masks them again; `fit` with TF-MOT's `UpdatePruningStep` needs no call.)
    """
    for layer in model.layers:
        if is_wrapped(layer):
            layer.pruning_obj.weight_mask_op()


def assign_masks(model, masks) -> None:
    """Sets the masks of a wrapped model from {key: 0/1 array}, checked, then zeroes masked weights."""
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
        if not np.isin(mask, (0, 1)).all():
            raise TicketsError(f"mask {key!r} holds values other than 0 and 1")
        target.mask.assign(mask.astype(target.mask.dtype.as_numpy_dtype))
    apply_masks(model)


def current_masks(model) -> dict:
    return {t.key: t.mask.numpy() for t in targets(model)}


def strip(model) -> keras.Model:
    """The plain model (TF-MOT's `strip_pruning`) with masked weights exactly zero."""
    apply_masks(model)
    return tfmot.sparsity.keras.strip_pruning(model)
