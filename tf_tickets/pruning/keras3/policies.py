"""Which layers of a Keras 3 model carry masks: the policies of `tf_tickets.pruning.policies`, by the same
names, decided by Keras 3 layer types; or a function `layer -> bool` of the user's.

TF-MOT's `PruningPolicy` objects and its XNNPack policy are tf_keras's; asked for on a Keras 3 model, they
are a one-line error, as is a function that picks a layer tf_tickets cannot mask.
"""
from typing import Callable, Set

import keras

from tf_tickets.errors import TicketsError
from tf_tickets.models import keras3 as k3models
from tf_tickets.pruning import graph as graph_ops
from tf_tickets.registry import Registry

POLICIES = Registry("pruning policy for Keras 3 models")


def _first_conv(prunable) -> Set[str]:
    first = next((layer for layer in prunable if isinstance(layer, k3models.CONV)), None)
    return {first.name} if first is not None else set()


def _classifier(prunable) -> Set[str]:
    return {prunable[-1].name} if prunable and isinstance(prunable[-1], keras.layers.Dense) else set()


def _shortcuts(model, prunable) -> Set[str]:
    found = k3models.trace(model)
    convs = [layer.name for layer in prunable
             if isinstance(layer, keras.layers.Conv2D) and tuple(layer.kernel_size) == (1, 1)]
    adds = (keras.layers.Add, keras.src.ops.numpy.Add)  # an Add layer, or `+` on two tensors
    return graph_ops.shortcuts(found.inbound, convs,
                               lambda name: isinstance(found.ops.get(name), keras.layers.BatchNormalization),
                               lambda name: isinstance(found.ops.get(name), adds))


# name -> the prunable layers (by name) each policy keeps dense
for _name, _kept_dense in [("conv_dense", lambda model, prunable: set()),
                           ("skip_first", lambda model, prunable: _first_conv(prunable)),
                           ("skip_classifier", lambda model, prunable: _classifier(prunable)),
                           ("skip_first_and_classifier",
                            lambda model, prunable: _first_conv(prunable) | _classifier(prunable)),
                           ("skip_shortcuts", _shortcuts)]:
    POLICIES.register(_name)(_kept_dense)


def chosen(policy, model) -> Set[str]:
    """The names of the layers of `model` that `policy` gives masks."""
    layers = k3models.forward_layers(model)
    if any(cls.__module__.startswith("tensorflow_model_optimization") for cls in type(policy).__mro__):
        raise TicketsError("a TF-MOT PruningPolicy works on tf_keras models only: for a Keras 3 model give a "
                           f"policy name ({', '.join(POLICIES.names())}) or a function layer -> bool")
    if callable(policy) and not isinstance(policy, str):
        # Asked about every layer with a kernel: a DepthwiseConv, an EinsumDense or an LSTM it picks is refused.
        picked = [layer for layer in layers if any("kernel" in w.name for w in layer.weights) and policy(layer)]
        unsupported = [layer for layer in picked if not k3models.is_prunable(layer)]
        if unsupported:
            layer = unsupported[0]
            raise TicketsError(f"the pruning policy picks layer {layer.name!r}, a {type(layer).__name__}: tf_tickets "
                               f"masks the kernels of Keras' own {', '.join(c.__name__ for c in k3models.PRUNABLE)}")
        return {layer.name for layer in picked}
    if policy == "xnnpack_1x1":
        raise TicketsError("xnnpack_1x1 is TF-MOT's policy for TFLite's XNNPack (tf_keras models only); for a Keras "
                           "3 model pick the 1x1 convs with a function, e.g. policy=lambda layer: getattr(layer, "
                           "'kernel_size', None) == (1, 1)")
    if not isinstance(policy, str):
        raise TicketsError(f"policy must be a name ({', '.join(POLICIES.names())}) or a function layer -> bool, "
                           f"got {type(policy).__name__}")
    kept_dense: Callable = POLICIES.get(policy)
    prunable = [layer for layer in layers if k3models.looks_prunable(layer)]
    _refuse_subclasses(prunable)
    return {layer.name for layer in prunable} - kept_dense(model, prunable)


def _refuse_subclasses(prunable) -> None:
    """A subclass of Dense or Conv may use its kernel its own way: masking it could be wrong, leaving it dense
    would be silent."""
    odd = [layer for layer in prunable if not k3models.is_prunable(layer)]
    if odd:
        layer = odd[0]
        base = next(c.__name__ for c in type(layer).__mro__ if c in k3models.PRUNABLE)
        raise TicketsError(f"layer {layer.name!r} is a {type(layer).__name__}, a subclass of Keras' {base}: tf_tickets "
                           "masks Keras' own Conv/Dense classes only; leave it out with a policy function "
                           f"(policy=lambda layer: layer.name != {layer.name!r} and ...)")
