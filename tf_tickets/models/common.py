"""The model registry and the pieces every family shares: input checks, the classifier head, blank
copies, and the architecture key."""
import hashlib
import json
from typing import Dict, Optional, Sequence, Tuple

from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError
from tf_tickets.registry import Registry

MODELS = Registry("model")

CLASSIFIER = "classifier"


def image_shape(input_shape: Sequence[int], name: str, min_side: int = 1) -> Tuple[int, int, int]:
    """(height, width, channels), or a TicketsError: conv families need images of at least `min_side`."""
    if len(input_shape) != 3:
        raise TicketsError(f"{name} needs an image input_shape (height, width, channels), got {tuple(input_shape)}")
    height, width, _ = input_shape
    if min(height, width) < min_side:
        raise TicketsError(f"{name} needs images of at least {min_side}x{min_side}, got {height}x{width}")
    return tuple(input_shape)


def classifier(x, num_classes: int, kernel_initializer):
    """The final Dense, named "classifier" (budgets, policies and GraSP find it by position, the last
    Dense of the prunable layers, never by name), and float32 so logits stay float32 under a
    mixed-precision policy."""
    return keras.layers.Dense(num_classes, kernel_initializer=kernel_initializer, bias_initializer="zeros",
                              dtype="float32", name=CLASSIFIER)(x)


_KERAS_PACKAGE = keras.layers.Layer.__module__.split(".")[0] + "."  # "tf_keras."


def blank_copy(dtype: Optional[str] = None, classes: Optional[Dict[type, type]] = None):
    """A `clone_model` clone function for a copy whose every weight is written right after: each layer
    rebuilt from its config (in `dtype` if given: float64 for SynFlow's products, float32 to export a
    mixed-precision model), as `classes[type(layer)]` where that is given (a subclass that computes the
    same thing another way: GraSP's second-order BatchNorm). Keras's own layers start from zeros instead
    of their initialisers, which spares the random draws (about half of cloning VGG19); a layer of another
    package, or one that refuses zeros, is rebuilt from its config as it is."""

    def rebuild(layer):
        cls = (classes or {}).get(type(layer), type(layer))
        config = layer.get_config()
        if dtype is not None and "dtype" in config:
            config["dtype"] = dtype
        zeros = {k: "zeros" for k, v in config.items() if k.endswith("_initializer") and v is not None}
        if zeros and type(layer).__module__.startswith(_KERAS_PACKAGE):
            try:
                return cls.from_config({**config, **zeros})
            except (ValueError, TypeError):  # an "initializer" that means something else (a kernel type, say)
                pass
        return cls.from_config(config)

    return rebuild


def zero_initializers(layer) -> Dict[str, object]:
    """Sets a Keras layer's initializer attributes to zeros before it is built, for a copy whose weights are
    written right after (random draws are about half of cloning VGG19); returns the ones it had, which the
    caller sets back once it is built, so its config stays its own. A layer of another package, or an
    initializer that is not a plain attribute, is left to draw."""
    if not type(layer).__module__.startswith(_KERAS_PACKAGE):
        return {}
    swapped = {}
    for key, value in layer.get_config().items():
        if key.endswith("_initializer") and value is not None and hasattr(layer, key):
            original = getattr(layer, key)
            try:
                setattr(layer, key, keras.initializers.Zeros())
            except AttributeError:  # a read-only property (a recurrent layer's, from its cell)
                continue
            swapped[key] = original
    return swapped


def blank_clone(model, dtype: Optional[str] = None, layer_of=None, classes: Optional[Dict[type, type]] = None):
    """A clone of `model` made with `blank_copy(dtype, classes)`, its one input in `dtype` too when given;
    `layer_of(layer)`: the layer to rebuild in place of each (a mask carrier's inner layer, say)."""
    inputs = None
    if dtype is not None:
        if not isinstance(model.input_shape, tuple):
            raise TicketsError(f"a {dtype} copy needs a model with one input, got {model.input_shape}")
        inputs = keras.Input(model.input_shape[1:], dtype=dtype, name=model.input_names[0])
    rebuild = blank_copy(dtype, classes)
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
