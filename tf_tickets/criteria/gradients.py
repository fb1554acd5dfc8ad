"""The loss and its gradient, as the PyTorch references compute them (net in train mode)."""
from typing import List

import numpy as np

from tf_tickets.backend import tf


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


def loss_gradients(model, weights, x, y, temperature: float = 1.0) -> List[tf.Tensor]:
    """d(mean cross-entropy)/dw on one batch, BatchNorm in training mode as in the references."""
    with tf.GradientTape() as tape:
        loss = cross_entropy(model, x, y, temperature)
    return dense(tape.gradient(loss, weights), weights)


def values(weights) -> List[np.ndarray]:
    """The weights' current values as float32 arrays (an AutoCastVariable reads as its float32 value)."""
    return [np.asarray(w.numpy(), np.float32) for w in weights]
