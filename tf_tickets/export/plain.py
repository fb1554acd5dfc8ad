"""The model that export converts: wrappers stripped, masked weights exactly zero, float32 throughout.

A mixed-precision model does not convert to TFLite (its float16 casts need Select ops), so it is
rebuilt layer by layer from its own configs with a float32 dtype and given the same weights. The
result is a new model: exporting never changes the user's.
"""
from tf_tickets.backend import keras
from tf_tickets.pruning import strip


def _float32_layer(layer):
    config = layer.get_config()
    if "dtype" in config:
        config["dtype"] = "float32"
    return layer.__class__.from_config(config)


def is_float32(model) -> bool:
    return all(getattr(layer, "compute_dtype", "float32") in (None, "float32") for layer in model.layers)


def float32_model(model) -> keras.Model:
    """A float32 copy of `model` with masks applied and wrappers stripped (same weights, same outputs)."""
    stripped = strip(model)
    copy = keras.models.clone_model(stripped, clone_function=_float32_layer)
    copy.set_weights(stripped.get_weights())
    return copy


def kernels(model):
    """(name, array) of every weight with two or more dimensions: kernels of Dense and convolutions."""
    return [(w.name, w.numpy()) for w in model.weights if len(w.shape) >= 2]
