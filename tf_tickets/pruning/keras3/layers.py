"""Keras 3 layers that carry their own mask: `MaskedDense`, `MaskedConv2D`, ... (one per prunable class).

Each is its Keras class with one more weight, `kernel_mask` (0/1, not trainable, the kernel's shape and
dtype: float32 master weights under mixed precision), and a call that computes with `kernel * kernel_mask`
in place of the kernel (the kernel variable is swapped for that product only while the class's own call
runs, as the jackpot's ScoreMask and TF-MOT's QuantizeWrapper do). Why the forward pass, and not a
constraint the optimizer applies after each update: Keras 3 threads a layer's non-trainable variables
through every trainer as state (JAX's jitted train step takes them as arguments, `stateless_call` maps
them), so a mask changed after a step was compiled is the mask the next step uses, on every backend, under
`jit_compile`, mixed precision and data parallelism. A constraint reads the mask inside the optimizer's
`stateless_apply`, whose state holds only the trainable and optimizer variables: under JAX's jit the mask
is baked in as a constant at the first trace, and a changed mask is ignored (seen with Keras 3.15: after the
mask changed between two `fit`s, the constraint kept zeroing the old positions under JAX, the new ones under
TensorFlow and PyTorch). The gradient at a masked position is exactly zero (d(w * 0)/dw), so no optimizer with fresh
state moves a masked weight: they stay exactly 0 through `fit` (SGD with momentum, Adam, AdamW's weight
decay of a zero). A mask changed in the middle of training leaves the optimizer's old momentum at newly
masked positions, which may move their stored values away from zero; the forward pass ignores them, and
`apply_masks` (or `strip`) writes the zeros.

The classes are registered (`tf_tickets>MaskedDense`, ...), so `model.save` and `keras.saving.load_model`
keep the masks of a Functional or Sequential model (import `tf_tickets.pruning.keras3` before loading, or use
`tf_tickets.load_model`). A subclassed model rebuilds its own plain layers when it loads, so its masks do not
load back into them: save `tf_tickets.strip(model)`, or the masks (`tf_tickets.masks.save`).
`adopt` turns a built layer into its masked class in place, as Keras' `enable_lora` adds weights to a
built layer; `plain_class` gives the class back.
"""
import functools
from typing import Dict

import keras

from tf_tickets.models import keras3 as k3models

MASK = "kernel_mask"


class Masked:
    """Mixed in before a Keras Dense/Conv class (see the module docstring)."""

    def build(self, *args, **kwargs):
        super().build(*args, **kwargs)
        self._add_mask()

    def _add_mask(self):
        kernel = k3models.kernel(self)
        self._tracker.unlock()  # a built layer's state is locked (adopt); `build` has not locked it yet
        try:
            self.kernel_mask = self.add_weight(name=f"{kernel.name}_mask", shape=tuple(kernel.shape),
                                               initializer="ones", dtype=kernel.dtype, trainable=False)
        finally:
            self._tracker.lock()

    def _masked_call(self, base, *args, **kwargs):
        attr = k3models.kernel_attr(self)
        kernel = getattr(self, attr)
        value = keras.ops.convert_to_tensor(kernel)  # in the compute dtype under mixed precision
        object.__setattr__(self, attr, value * keras.ops.cast(self.kernel_mask, value.dtype))
        try:
            return base.call(self, *args, **kwargs)
        finally:
            object.__setattr__(self, attr, kernel)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        if len(store.keys()) < len(self._trainable_variables) + len(self._non_trainable_variables):
            store[MASK] = self.kernel_mask  # Dense and Conv save only the weights they know of

    def load_own_variables(self, store):
        super().load_own_variables(store)
        if MASK in store:
            self.kernel_mask.assign(store[MASK])


_CLASSES: Dict[type, type] = {}


def masked_class(base: type) -> type:
    """The registered masked subclass of a prunable Keras class."""
    if base not in _CLASSES:
        def call(self, *args, **kwargs):
            return self._masked_call(base, *args, **kwargs)

        # Keras reads the call's signature (does it take `training`?): the class's own.
        cls = type(f"Masked{base.__name__}", (Masked, base), {"call": functools.wraps(base.call)(call),
                                                              "__module__": __name__})
        _CLASSES[base] = keras.saving.register_keras_serializable(package="tf_tickets")(cls)
    return _CLASSES[base]


for _base in k3models.PRUNABLE:
    globals()[masked_class(_base).__name__] = masked_class(_base)


def is_masked(layer) -> bool:
    return isinstance(layer, Masked)


def adopt(layer) -> None:
    """Makes a built prunable layer carry a mask of ones, in place."""
    layer.__class__ = masked_class(type(layer))
    layer._add_mask()


def plain_class(layer) -> type:
    """The Keras class a layer is, masks aside."""
    return next(cls for cls in type(layer).__mro__ if cls in _CLASSES) if is_masked(layer) else type(layer)
