"""Model zoo: Functional models by open_lth-style name (TF-MOT cannot wrap subclassed ones), in `tf_keras` by
default and in Keras 3 with `build(..., keras=keras)`.

Every model outputs float32 logits from a final Dense named "classifier"; `seed` fixes the initial
weights. Families: cifar_resnet, cifar_vgg, mnist_lenet, conv_2/4/6, mnist_conv_small. What pruning
needs to know about a Keras 3 model (any backend) is `tf_tickets.models.keras3`. The names below load
their modules on first use (TensorFlow only for tf_keras's models), so that the Keras 3 part imports
without TensorFlow.
"""
import importlib

_LAZY = {"MODELS": "zoo", "CLASSIFIER": "zoo", "build": "zoo", "names": "zoo", "is_residual": "structure",
         "prunable_layers": "structure", "kernels": "structure", "count_prunable": "structure",
         "flat_layers": "structure"}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    try:
        return importlib.import_module(f"{__name__}.{name}")  # a submodule: tf_tickets.models.common, ...
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
