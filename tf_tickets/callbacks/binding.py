"""tf_tickets' callbacks are written once and become callbacks of whichever Keras trains: tf_keras (TF-MOT's
Keras 2) or Keras 3 on any backend.

Each is a subclass of `Callback` here, which holds its logic and imports no framework. `bind(callback, keras)`
turns one into an instance of its class bound to that Keras' own `keras.callbacks.Callback` (a subclass of
both, made once per class and Keras), in place, as `tf_tickets.pruning.keras3.layers.adopt` turns a layer into
its masked class. The training loops bind every callback they are handed; one handed to a Keras `fit`
directly binds itself when Keras first gives it the model (`set_model`). Bound, it is that Keras' callback in
full: its hooks are called as Keras decides (Keras 3 on JAX hands `self.model` over with its state synced),
and `rewind.CaptureWeights(3, path)` passed to a tf_keras `fit` works as it always has.
"""
from typing import Dict, Tuple

from tf_tickets import kinds

_BOUND: Dict[Tuple[type, str], type] = {}  # (logic class, Keras package) -> the bound class


def _default(method):
    """Marks a hook as doing nothing, as both Kerases mark their own (Keras then skips calling it per batch)."""
    method._is_default = True
    return method


class Callback:
    """The base of tf_tickets' callbacks: their logic, for any Keras (see the module's docstring).

    Its hooks do nothing; a subclass overrides those it needs and reads the model as `self.model` once bound."""

    def set_model(self, model):
        if not isinstance(self, _Bound):
            bind(self, kinds.keras_module(model))
        super().set_model(model)  # the Keras' own, now in the class's bases

    @_default
    def on_batch_begin(self, batch, logs=None):
        pass

    @_default
    def on_batch_end(self, batch, logs=None):
        pass

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        pass

    @_default
    def on_train_batch_end(self, batch, logs=None):
        pass

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        pass

    @_default
    def on_test_batch_end(self, batch, logs=None):
        pass

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        pass

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        pass


class _Bound:
    """Marks a class bound to a Keras."""


def bound_class(cls: type, keras) -> type:
    """`cls` bound to `keras` (the tf_keras or Keras 3 module): a subclass of both `cls` and its Callback."""
    if issubclass(cls, _Bound):
        return cls
    key = (cls, keras.__name__)
    if key not in _BOUND:
        _BOUND[key] = type(cls.__name__, (cls, _Bound, keras.callbacks.Callback),
                           {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
    return _BOUND[key]


def bind(callback, keras):
    """`callback` as a callback of `keras`: ours are bound in place (and returned); any other is returned as it is.
    A callback of ours already bound to another Keras is a mistake (one object serving two Kerases)."""
    if not isinstance(callback, Callback):
        return callback
    if isinstance(callback, _Bound):
        if not isinstance(callback, keras.callbacks.Callback):
            raise ValueError(f"{type(callback).__name__} is bound to another Keras than {keras.__name__}")
        return callback
    logic = dict(vars(callback))
    callback.__class__ = bound_class(type(callback), keras)
    keras.callbacks.Callback.__init__(callback)  # the Keras' own state (params, model)
    vars(callback).update(logic)
    return callback

