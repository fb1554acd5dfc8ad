"""What export does differently for a Keras 3 model; the files, checks and report are the tf_keras path's.

The float32 model is `tf_tickets.strip`'s plain Keras 3 model, rebuilt in float32 where it computes in
another dtype (mixed precision does not convert to TFLite). Its SavedModel is Keras 3's own export
(`model.export(format="tf_saved_model")`), and TFLite converts from a SavedModel written so (the converter
reads a Keras 3 model no other way on TensorFlow 2.21). Both need TensorFlow under Keras: on the JAX and
PyTorch backends export writes the `.keras` file and says why it writes nothing else. Only the TensorFlow
backend imports TensorFlow here.
"""
import contextlib
import os
import shutil
import tempfile
from typing import Callable, Iterator, Optional

import keras

from tf_tickets.models import keras3 as k3models


def unsupported(kind: str) -> Optional[str]:
    """Why a file of `kind` ("keras", "saved_model", "tflite") cannot be made on this backend, or None."""
    backend = keras.backend.backend()
    if kind == "keras" or backend == "tensorflow":
        return None
    return (f"SavedModel and TFLite files need Keras 3's TensorFlow backend (this process runs {backend}): load the "
            "exported model.keras under KERAS_BACKEND=tensorflow and export it there")


def float32_model(model):
    """A new plain Keras 3 model of `model`'s architecture, masked weights exactly 0, computing in float32."""
    from tf_tickets.pruning import strip

    stripped = strip(model)  # the same model when it carries no masks: copied below either way
    return k3models.plain_copy(stripped, type, dtype=None if _float32(stripped) else "float32")


def _float32(model) -> bool:
    return all(layer.dtype_policy.name == "float32" for layer in k3models.own_layers(model))


def carried_code(model) -> Optional[str]:
    """The first Lambda layer that holds a Python lambda (its `.keras` file carries the lambda's bytecode, which
    Keras runs only when loading is told the file is trusted: `safe_mode=False`), as a phrase, or None."""
    for layer in k3models.own_layers(model):
        if isinstance(layer, keras.layers.Lambda) and getattr(layer.function, "__name__", "") == "<lambda>":
            return f"layer {layer.name!r} (Lambda) holds a Python lambda"
    return None


def write_saved_model(model, path: str) -> None:
    from tf_tickets.quiet import native_logs

    with native_logs():
        model.export(path, format="tf_saved_model", verbose=False)


@contextlib.contextmanager
def converters(model) -> Iterator[Callable]:
    """A function giving (TensorFlow, a new TFLite converter for `model`), valid inside the block: each reads one
    SavedModel of the model, written on the first call to a temporary directory that the block removes (writing
    it traces the model: 4-6 s for MobileNetV2 here, more than a conversion)."""
    directory = tempfile.mkdtemp(prefix="tf_tickets-export-")
    path = os.path.join(directory, "saved_model")

    def converter():
        import tensorflow as tf  # loaded already: Keras 3 runs on it

        if not os.path.exists(path):
            write_saved_model(model, path)
        return tf, tf.lite.TFLiteConverter.from_saved_model(path)

    try:
        yield converter
    finally:
        shutil.rmtree(directory, ignore_errors=True)
