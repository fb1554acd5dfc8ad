"""What pruning needs to know about a model: its prunable layers in forward order, their kernels, and
whether it is residual (smart-ratio budgets score VGG-style and residual nets differently).

Prunable = Conv (any kind) and Dense kernels; biases and BatchNorm never count. Layers wrapped by
TF-MOT (or any `keras.layers.Wrapper`) are looked through, and the wrapper is what is returned.
"""
from typing import List

from tf_tickets.backend import keras

_PRUNABLE_TYPES = (
    keras.layers.Dense,
    keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
    keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose,
    keras.layers.SeparableConv1D, keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D,
)
_KERNEL_ATTRS = ("kernel", "depthwise_kernel", "pointwise_kernel")


def _unwrap(layer: keras.layers.Layer) -> keras.layers.Layer:
    while isinstance(layer, keras.layers.Wrapper):
        layer = layer.layer
    return layer


def flat_layers(model: keras.Model) -> List[keras.layers.Layer]:
    """model.layers with nested models expanded in place. For a Functional model, Keras orders
    layers by graph depth (inputs first), ties in the order the graph is walked back from the outputs
    (first input of an Add first); this is forward order, and for our ResNets it puts a block's
    projection shortcut right after its second conv (docs/methods.md "Layer order")."""
    out = []
    for layer in model.layers:
        inner = _unwrap(layer)
        out.extend(flat_layers(inner) if isinstance(inner, keras.Model) else [layer])
    return out


def prunable_layers(model: keras.Model) -> List[keras.layers.Layer]:
    """Layers owning a Conv or Dense kernel, in forward order (the classifier last)."""
    return [layer for layer in flat_layers(model) if isinstance(_unwrap(layer), _PRUNABLE_TYPES)]


def kernels(layer: keras.layers.Layer) -> list:
    """The prunable weight variables of one layer (a separable conv has two), wrapper or not."""
    inner = _unwrap(layer)
    return [getattr(inner, attr) for attr in _KERNEL_ATTRS if getattr(inner, attr, None) is not None]


def count_prunable(model: keras.Model) -> int:
    """Total number of kernel weights over the prunable layers."""
    return sum(int(v.shape.num_elements()) for layer in prunable_layers(model) for v in kernels(layer))


def is_residual(model: keras.Model) -> bool:
    """True when the model has a skip connection (an Add layer)."""
    return any(isinstance(_unwrap(layer), keras.layers.Add) for layer in flat_layers(model))
