"""The model registry and what every family shares: input checks and the classifier head.

A family is written once and builds with whichever Keras it is handed (`family(keras, inputs, num_classes,
seeds, **options)`): tf_keras for TF-MOT's wrappers, or Keras 3 on any backend. Nothing here imports a
framework.
"""
from typing import Sequence, Tuple

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


def classifier(keras, x, num_classes: int, kernel_initializer):
    """The final Dense, named "classifier" (budgets, policies and GraSP find it by position, the last
    Dense of the prunable layers, never by name), and float32 so logits stay float32 under a
    mixed-precision policy."""
    return keras.layers.Dense(num_classes, kernel_initializer=kernel_initializer, bias_initializer="zeros",
                              dtype="float32", name=CLASSIFIER)(x)
