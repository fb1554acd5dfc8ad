"""The loss and its gradient, as the PyTorch references compute them (net in train mode).

`loss_gradients` and GraSP's `gradient_and_hessian_product` run eagerly the first time they see a model
and traced from the second time on (`TracedOnReuse`): a one-off scoring pays no tracing, and the plain
copy that `Pruner` keeps per architecture is traced once for a whole grid of runs.
"""
import functools
import weakref
from typing import List

import numpy as np

from tf_tickets.backend import tf

SEEN = "seen"


class TracedOnReuse:
    """`fn(model, weights, *tensors, **options)`, eager on the first call for a (model, weights, options),
    a traced `tf.function` of the tensors from the second on (shapes generalised, so other batch sizes
    reuse the trace where they can)."""

    def __init__(self, fn):
        self.fn = fn
        functools.update_wrapper(self, fn)
        self._calls = weakref.WeakKeyDictionary()  # model -> {(weights, options): SEEN or traced function}

    def __call__(self, model, weights, *tensors, **options):
        calls = self._calls.setdefault(model, {})
        key = (tuple(id(w) for w in weights), tuple(sorted(options.items())))
        entry = calls.get(key)
        if entry is None:
            calls[key] = SEEN
            return self.fn(model, weights, *tensors, **options)
        if entry is SEEN:
            entry = calls[key] = tf.function(functools.partial(self.fn, model, list(weights), **options),
                                             autograph=False, reduce_retracing=True)
        return entry(*[tf.convert_to_tensor(t) for t in tensors])


def cross_entropy(model, x, y, temperature: float = 1.0, training: bool = True):
    """Mean cross-entropy of the logits / temperature; logits cast to float32 first (mixed precision)."""
    logits = tf.cast(model(x, training=training), tf.float32)
    if temperature != 1.0:
        logits = logits / temperature
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


def dense(grads, weights) -> List[tf.Tensor]:
    """Gradients as float32 tensors, zeros where a weight does not reach the loss."""
    return [tf.zeros(w.shape, tf.float32) if g is None else tf.cast(tf.convert_to_tensor(g), tf.float32)
            for g, w in zip(grads, weights)]


@TracedOnReuse
def loss_gradients(model, weights, x, y, temperature: float = 1.0) -> List[tf.Tensor]:
    """d(mean cross-entropy)/dw on one batch, BatchNorm in training mode as in the references."""
    with tf.GradientTape() as tape:
        loss = cross_entropy(model, x, y, temperature)
    return dense(tape.gradient(loss, weights), weights)


def times_weights(weights, tensors, absolute: bool = False) -> List[np.ndarray]:
    """w * t (|w * t| with `absolute`) per weight in float32, computed in TensorFlow on every core and read
    without a copy: over VGG19's 20 M weights, NumPy's copies and single-threaded passes cost a tenth of a
    forward+backward pass."""
    products = [tf.cast(w, tf.float32) * tf.cast(t, tf.float32) for w, t in zip(weights, tensors)]
    return [np.asarray(tf.abs(p) if absolute else p) for p in products]


def values(weights) -> List[np.ndarray]:
    """The weights' current values as float32 arrays (an AutoCastVariable reads as its float32 value)."""
    return [np.asarray(w.numpy(), np.float32) for w in weights]
