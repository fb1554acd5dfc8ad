"""The one place that imports TensorFlow (and TF-MOT), so that Keras 2 (`tf_keras`) is what TF-MOT and we see.

TF-MOT works only with Keras 2. `TF_USE_LEGACY_KERAS=1` must be set before TensorFlow is first
imported, or `tf.keras` resolves to Keras 3. Every module of the package imports `tf` and `keras`
from here.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tf_tickets.quiet import native_logs  # noqa: E402

with native_logs():  # TensorFlow's native start-up notices (oneDNN, CUDA probing) are not for people
    import tensorflow as tf  # noqa: E402
    import tensorflow_model_optimization as tfmot  # noqa: E402
    import tf_keras as keras  # noqa: E402

# TensorFlow's own INFO lines (checkpoint sharding, collective set-up) drown our progress lines.
tf.get_logger().setLevel("WARNING")



def probe_devices() -> None:
    """Lists the physical devices once, quietly: the first look probes CUDA, which on a machine without
    GPUs prints a failed cuInit (absl's app.run triggers it through a TensorFlow start-up hook)."""
    with native_logs():
        tf.config.list_physical_devices()


__all__ = ["tf", "keras", "tfmot", "probe_devices"]
