"""The one place that imports TensorFlow (and TF-MOT), so that Keras 2 (`tf_keras`) is what TF-MOT and we see.

TF-MOT works only with Keras 2. `TF_USE_LEGACY_KERAS=1` must be set before TensorFlow is first
imported, or `tf.keras` resolves to Keras 3. Every module of the package imports `tf` and `keras`
from here.
"""
import importlib
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tf_tickets.quiet import native_logs  # noqa: E402


def _import_tfmot():
    """TF-MOT, without importing Keras 3 for nothing.

    TF-MOT's layer registry probes `keras.src.engine`, which no Keras 3 has: the probe imports all of
    Keras 3 (and scikit-learn through it, where installed) and then fails: 1.2 s of a 5 s start-up,
    measured side by side. While TF-MOT loads, `keras` is blocked, so the probe fails at once, with the same
    outcome (TF-MOT registers no `TensorFlowOpLayer`). A Keras 3 the user imported is left alone.
    """
    if "keras" in sys.modules:
        return importlib.import_module("tensorflow_model_optimization")
    sys.modules["keras"] = None  # `import keras` raises ImportError at once
    try:
        return importlib.import_module("tensorflow_model_optimization")
    finally:
        if sys.modules.get("keras", 0) is None:
            del sys.modules["keras"]


with native_logs():  # TensorFlow's native start-up notices (oneDNN, CUDA probing) are not for people
    import tensorflow as tf  # noqa: E402
    import tf_keras as keras  # noqa: E402

    tfmot = _import_tfmot()

# TensorFlow's own INFO lines (checkpoint sharding, collective set-up) drown our progress lines.
tf.get_logger().setLevel("WARNING")



def probe_devices() -> None:
    """Lists the physical devices once, quietly: the first look probes CUDA, which on a machine without
    GPUs prints a failed cuInit (absl's app.run triggers it through a TensorFlow start-up hook)."""
    with native_logs():
        tf.config.list_physical_devices()


__all__ = ["tf", "keras", "tfmot", "probe_devices"]
