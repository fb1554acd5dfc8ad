"""What tf_tickets does with tf_keras models of any family: blank copies and the architecture key (the registry
and the pieces the families share are `families`)."""
import hashlib
import json
from typing import Dict, Optional

from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError

_KERAS_PACKAGE = keras.layers.Layer.__module__.split(".")[0] + "."  # "tf_keras."


class BlankCopy:
    """A `clone_model` clone function for a copy whose every weight is written right after: each layer
    rebuilt from its config (in `dtype` if given: float64 for SynFlow's products, float32 to export a
    mixed-precision model), as `classes[type(layer)]` where that is given (a subclass that computes the
    same thing another way: GraSP's second-order BatchNorm). Keras's layers are built from zeros
    (`zero_initializers`), which spares the random draws (about half of cloning VGG19). Used as a context
    around `clone_model`: leaving it, once the clone is built, sets back each layer's own initializers, so
    the copy's configs are the model's (a copy that kept zeros would re-initialise to a dead network)."""

    def __init__(self, dtype: Optional[str] = None, classes: Optional[Dict[type, type]] = None):
        self.dtype, self.classes = dtype, classes or {}
        self._swapped = []  # (copy, its own initializers)

    def __call__(self, layer):
        config = layer.get_config()
        if self.dtype is not None and "dtype" in config:
            config["dtype"] = self.dtype
        copy = self.classes.get(type(layer), type(layer)).from_config(config)
        self._swapped.append((copy, zero_initializers(copy)))
        return copy

    def __enter__(self):
        return self

    def __exit__(self, *_):
        for copy, initializers in self._swapped:
            for key, initializer in initializers.items():
                setattr(copy, key, initializer)
        self._swapped.clear()


def zero_initializers(layer) -> Dict[str, object]:
    """Sets a Keras layer's initializers to zeros before it is built; returns the ones it had, for the
    caller to set back once it is built. A layer of another package, or an initializer that is not a plain
    attribute holding an initializer (a kernel type named by a string, a recurrent layer's read-only
    property), is left to draw."""
    if not type(layer).__module__.startswith(_KERAS_PACKAGE):
        return {}
    swapped = {}
    for key, value in layer.get_config().items():
        original = getattr(layer, key, None) if key.endswith("_initializer") and value is not None else None
        if not isinstance(original, keras.initializers.Initializer):
            continue
        try:
            setattr(layer, key, keras.initializers.Zeros())
        except AttributeError:
            continue
        swapped[key] = original
    return swapped


def blank_clone(model, dtype: Optional[str] = None, layer_of=None, classes: Optional[Dict[type, type]] = None):
    """A clone of `model` made with `BlankCopy(dtype, classes)`, its one input in `dtype` too when given;
    `layer_of(layer)`: the layer to rebuild in place of each (a mask carrier's inner layer, say)."""
    inputs = None
    if dtype is not None:
        if not isinstance(model.input_shape, tuple):
            raise TicketsError(f"a {dtype} copy needs a model with one input, got {model.input_shape}")
        inputs = keras.Input(model.input_shape[1:], dtype=dtype, name=model.input_names[0])
    with BlankCopy(dtype, classes) as rebuild:
        return keras.models.clone_model(model, input_tensors=inputs,
                                        clone_function=lambda layer: rebuild(layer_of(layer) if layer_of else layer))


def architecture(model) -> str:
    """A key for the architecture: layer classes, configs and connections, weight shapes, the strategy
    (not initialisers: models of one architecture built from other seeds share a key). Scoring copies and
    compiled models are kept by it."""
    config = json.dumps(_without_initializers(model.get_config()), sort_keys=True, default=str)
    shapes = [tuple(w.shape) for w in model.weights]
    strategy = id(tf.distribute.get_strategy())
    return hashlib.sha1(f"{config}|{shapes}|{strategy}".encode()).hexdigest()


def _without_initializers(config):
    if isinstance(config, dict):
        return {k: _without_initializers(v) for k, v in config.items() if not k.endswith("initializer")}
    if isinstance(config, (list, tuple)):
        return [_without_initializers(v) for v in config]
    return config
