"""Weight initializers of the reference code, each seeded from one model seed.

A model built twice with the same seed must start from identical weights (lottery tickets rewind to
them), so every initializer gets its own seed, derived from the model seed and a running index;
`seed=None` leaves them unseeded (random on every build). Each is made by the Keras it is handed (tf_keras, or
Keras 3 on any backend, whose draws differ from tf_keras's for the same seed).
"""
from typing import Optional

import numpy as np

from tf_tickets.errors import TicketsError


class Seeds:
    """Hands out one seed per initializer: distinct across layers, identical across builds."""

    def __init__(self, seed: Optional[int]):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise TicketsError(f"seed must be a non-negative integer or None, got {seed!r}")
        self._seed = None if seed is None else int(seed)
        self._count = 0

    def next(self) -> Optional[int]:
        if self._seed is None:
            return None
        self._count += 1
        # SeedSequence is specified to be stable across NumPy versions; 31 bits fit every TF seed arg.
        state = np.random.SeedSequence([self._seed, self._count]).generate_state(1)[0]
        return int(state) & 0x7FFFFFFF


def he_normal(keras, seeds: Seeds, mode: str):
    """PyTorch's kaiming_normal_ (untruncated): std = sqrt(2 / fan), fan = 'fan_in' or 'fan_out'."""
    return keras.initializers.VarianceScaling(2.0, mode, "untruncated_normal", seed=seeds.next())


def glorot_normal(keras, seeds: Seeds):
    """Gaussian Glorot, as Frankle & Carbin (2019) used for LeNet and Conv-2/4/6."""
    return keras.initializers.GlorotNormal(seed=seeds.next())


def classifier_normal(keras, seeds: Seeds):
    """N(0, 0.01) for the final Dense, as the reference CIFAR ResNet and VGG code does."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.01, seed=seeds.next())
