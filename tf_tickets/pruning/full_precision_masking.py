"""TF-MOT's masking done on the float32 weights themselves under mixed precision.

TF-MOT's wrapper sets weight := weight * mask inside the layer's call, and Keras reads a mixed-precision
layer's float32 variables in its compute dtype there (float16, bfloat16). The product, written back,
rounded every weight to half precision at every training step, so an SGD update smaller than half of half
precision's resolution was lost (with bfloat16, any below 0.2-0.4% of the weight; with float16,
0.02-0.05%): the float32 master weights that mixed precision keeps were gone. The mask update of a
schedule that prunes during training ranked half-precision magnitudes too. Here TF-MOT's `Pruning`
(0.8.1) does both with Keras' autocasting off: the same ops on the float32 values, so under a float32
policy nothing changes. Applied once, for the whole process, when `tf_tickets.pruning` is imported: a
wrapper built or loaded anywhere gets it.
"""
import functools
import importlib

from tf_tickets.backend import keras

_pruning_impl = importlib.import_module("tensorflow_model_optimization.python.core.sparsity.keras.pruning_impl")
_autocast = importlib.import_module(keras.__name__ + ".src.mixed_precision.autocast_variable")

_METHODS = ("_weight_assign_objs", "conditional_mask_update")  # weight := weight * mask; new masks


def _in_float32(method):
    @functools.wraps(method)
    def without_autocast(self, *args, **kwargs):
        with _autocast.enable_auto_cast_variables(None):
            return method(self, *args, **kwargs)

    without_autocast.full_precision = True
    return without_autocast


def install() -> None:
    for name in _METHODS:
        method = getattr(_pruning_impl.Pruning, name)
        if not getattr(method, "full_precision", False):
            setattr(_pruning_impl.Pruning, name, _in_float32(method))


install()
