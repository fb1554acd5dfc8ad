"""The one place that imports TensorFlow, so that Keras 2 (`tf_keras`) is what TF-MOT and we see.

TF-MOT works only with Keras 2. `TF_USE_LEGACY_KERAS=1` must be set before TensorFlow is first
imported, or `tf.keras` resolves to Keras 3. Every module of the package imports `tf` and `keras`
from here.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

# TensorFlow's own INFO lines (checkpoint sharding, collective set-up) drown our progress lines.
tf.get_logger().setLevel("WARNING")

__all__ = ["tf", "keras"]
