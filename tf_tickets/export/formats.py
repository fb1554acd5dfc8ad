"""The formats a ticket ships in, one small writer each, picked by name (`FORMATS`).

    keras        model.keras: the stripped float32 Keras model (loads with plain `tf_keras`)
    saved_model  saved_model/: a TensorFlow SavedModel (serving signature), for TF Serving and TF.js
    tflite       model.tflite: float32 with TFLite's sparse tensor encoding (EXPERIMENTAL_SPARSITY)
    tflite_int8  model_int8.tflite: sparse encoding plus int8 post-training quantisation, calibrated on
                 a representative sample of the run's own training data (float inputs and outputs)

Each TFLite writer also converts its dense twin (the same options without the sparse encoding), which
export measures against but does not ship. A Keras 3 model's SavedModel and converter are Keras 3's
(`tf_tickets.export.keras3`); TensorFlow is imported only where a SavedModel or TFLite file is made.
"""
import contextlib
import dataclasses
import os
import warnings
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from tf_tickets import kinds
from tf_tickets.quiet import native_logs


@dataclasses.dataclass(frozen=True)
class Format:
    name: str
    filename: str
    kind: str  # "keras", "saved_model" or "tflite"
    quantized: bool = False

    @property
    def is_tflite(self) -> bool:
        return self.kind == "tflite"


FORMATS = {f.name: f for f in (Format("keras", "model.keras", "keras"),
                               Format("saved_model", "saved_model", "saved_model"),
                               Format("tflite", "model.tflite", "tflite"),
                               Format("tflite_int8", "model_int8.tflite", "tflite", quantized=True))}
DEFAULT_FORMATS = tuple(FORMATS)


def parse(names: Iterable[str]):
    """Formats by name, in the order given; raises ValueError naming an unknown one."""
    picked = []
    for name in names:
        if name not in FORMATS:
            raise ValueError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
        if FORMATS[name] not in picked:
            picked.append(FORMATS[name])
    if not picked:
        raise ValueError(f"no format given; known: {', '.join(FORMATS)}")
    return picked


def tflite_bytes(model, sparse: bool = True, representative: Optional[np.ndarray] = None,
                 source: Optional[Callable] = None) -> bytes:
    """The model converted to TFLite: sparse-encoded if `sparse`, int8-quantised if `representative`
    (calibration inputs, float32, one example per row) is given. `source`: a `tflite_source(model)`, to share
    one among several conversions."""
    with contextlib.ExitStack() as stack:
        tf, converter = (source or stack.enter_context(tflite_source(model)))()
        stack.enter_context(native_logs())
        stack.enter_context(warnings.catch_warnings())
        converter.optimizations = [tf.lite.Optimize.EXPERIMENTAL_SPARSITY] if sparse else []
        if representative is not None:
            converter.optimizations.append(tf.lite.Optimize.DEFAULT)
            converter.representative_dataset = _calibration(representative)
        # The converter's note that the float input has no quantisation statistics: it stays float.
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        return converter.convert()


@contextlib.contextmanager
def tflite_source(model) -> Iterator[Callable]:
    """A function giving (TensorFlow, a new TFLite converter for `model`), valid inside the block: a tf_keras model
    is read as it is, a Keras 3 model from one SavedModel written for the block (`tf_tickets.export.keras3`)."""
    if kinds.of(model) == kinds.KERAS3:
        from tf_tickets.export import keras3

        with keras3.converters(model) as converter:
            yield converter
    else:
        from tf_tickets.backend import tf

        yield lambda: (tf, tf.lite.TFLiteConverter.from_keras_model(model))


def _calibration(examples: np.ndarray) -> Callable:
    def batches():
        for example in examples:
            yield [example[None].astype(np.float32)]
    return batches


def write(fmt: Format, model, directory: str, content: Optional[bytes] = None) -> str:
    """Writes `model` (or the converted `content` of a TFLite format) into `directory`; returns the path."""
    path = os.path.join(directory, fmt.filename)
    if fmt.kind == "keras":
        model.save(path)
    elif fmt.kind == "saved_model" and kinds.of(model) == kinds.KERAS3:
        from tf_tickets.export import keras3

        keras3.write_saved_model(model, path)
    elif fmt.kind == "saved_model":
        from tf_tickets.backend import tf

        with native_logs():
            tf.saved_model.save(model, path)
    else:
        with open(path, "wb") as f:
            f.write(content)
    return path

