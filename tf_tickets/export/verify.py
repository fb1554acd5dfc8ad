"""Every exported file run on real test examples and held against the Keras model it came from.

Float formats must match the Keras logits within a tolerance (max abs diff); an int8 file is judged by
top-1 agreement with the Keras model (and its own accuracy is reported). A TFLite file is tried under
LiteRT's default XNNPack delegate and under the builtin kernels; it ships for the runtimes that pass.
A file that passes under none is refused, never shipped unchecked.
"""
from typing import Dict

import numpy as np

from tf_tickets.export import litert
from tf_tickets.export.formats import Format
from tf_tickets.export.plain import kernel_counts
from tf_tickets.loading import load_model
from tf_tickets.quiet import native_logs


def compare(outputs: np.ndarray, reference: np.ndarray, labels: np.ndarray) -> Dict:
    outputs = np.asarray(outputs, np.float32)
    top1 = outputs.argmax(-1)
    return {"max_abs_diff": float(np.abs(outputs - reference).max()),
            "agreement": float((top1 == reference.argmax(-1)).mean()),
            "accuracy": float((top1 == labels).mean()),
            "finite": bool(np.isfinite(outputs).all())}


def judge(found: Dict, fmt: Format, tolerance: float, min_agreement: float) -> Dict:
    """Adds `passed` and, when it fails, `reason` (one line)."""
    if not found["finite"]:
        return {**found, "passed": False, "reason": "outputs hold NaN or infinity"}
    if fmt.quantized:
        if found["agreement"] < min_agreement:
            return {**found, "passed": False, "reason": f"top-1 agreement {found['agreement']:.3f} with the Keras "
                                                        f"model is below {min_agreement}"}
    elif found["max_abs_diff"] > tolerance:
        return {**found, "passed": False, "reason": f"logits differ from the Keras model by up to "
                                                    f"{found['max_abs_diff']:.2e} (> {tolerance:g})"}
    return {**found, "passed": True}


def keras_file(path: str, x: np.ndarray, reference: np.ndarray, labels: np.ndarray, trust_code: bool = False) -> Dict:
    """Loaded as every saved model is (`tf_tickets.load_model`: a Keras 3 file by Keras 3): a file that carries
    Python code is refused unless `trust_code`."""
    loaded = load_model(path, compile=False, trust_code=trust_code)
    return {**compare(loaded.predict(x, batch_size=256, verbose=0), reference, labels),
            "nonzero_weights": kernel_counts(loaded.get_weights())["nonzero"]}


def saved_model(path: str, x: np.ndarray, reference: np.ndarray, labels: np.ndarray) -> Dict:
    """The serving signature of the SavedModel export just wrote (`tf.saved_model.save`, or Keras 3's
    `model.export`: a TensorFlow graph, no Keras metadata, no Python code to run), loaded by TensorFlow's own
    loader."""
    import tensorflow as tf  # loaded already: the SavedModel was just written with it

    with native_logs():
        loaded = tf.saved_model.load(path)
    serve = loaded.signatures["serving_default"]
    outputs = np.concatenate([list(serve(tf.constant(x[i:i + 256])).values())[0].numpy()
                              for i in range(0, len(x), 256)])
    return {**compare(outputs, reference, labels),
            "nonzero_weights": kernel_counts(v.numpy() for v in loaded.variables)["nonzero"]}


def tflite(content: bytes, x: np.ndarray, reference: np.ndarray, labels: np.ndarray, fmt: Format,
           tolerance: float, min_agreement: float) -> Dict[str, Dict]:
    """{runtime: result} for each LiteRT runtime; a runtime that cannot prepare the file says why."""
    results = {}
    for runtime in litert.RUNTIMES:
        try:
            outputs = litert.predict(content, runtime, x)
        except (RuntimeError, ValueError) as error:
            results[runtime] = {"passed": False, "reason": "does not prepare: " + str(error).splitlines()[0]}
            continue
        results[runtime] = judge(compare(outputs, reference, labels), fmt, tolerance, min_agreement)
    return results
