"""`export`: a pruned (or stripped, or plain) tf_keras or Keras 3 model to shippable files, each one checked.

    report = tf_tickets.export(model, "ticket/", test_data=(x_test, y_test), representative_data=x_train)

writes the chosen formats, `export.json` and `export.md` into the directory, all at once: files are
made in a temporary directory beside it, checked, then renamed into place, so a failure leaves nothing
half-written. The directory may not exist yet, be empty, or hold an earlier export (replaced). A Keras 3
model gets the same files and checks on the TensorFlow backend; on JAX and PyTorch its `.keras` file, and
the other formats are left out with the reason (`tf_tickets.export.keras3`).
"""
import contextlib
import os
import shutil
import sys
import tempfile
from typing import Dict, Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from tf_tickets import kinds
from tf_tickets.arrays import as_numpy
from tf_tickets.errors import TicketsError
from tf_tickets.export import formats as fmts
from tf_tickets.export import litert, plain, report as reports, verify
from tf_tickets.files import write_atomic, write_json

REPORT_JSON = "export.json"
REPORT_MD = "export.md"

Examples = Union[np.ndarray, Tuple[np.ndarray, np.ndarray], Iterable]


def export(model, directory: str, test_data: Examples, representative_data: Optional[Examples] = None,
           formats: Sequence[str] = fmts.DEFAULT_FORMATS, test_examples: int = 1000, calibration_examples: int = 200,
           latency_repeats: int = 50, tolerance: float = 1e-4, min_int8_agreement: float = 0.9,
           source: Optional[str] = None, trust_code: bool = False) -> Dict:
    """Exports `model` to `directory` in `formats` and returns the report (also written as export.json).

    `test_data`: (x, y) arrays or (x, y) batches (a `tf.data` dataset, a `keras.utils.PyDataset`, a PyTorch
    `DataLoader`, ...), preprocessed as the model expects; the first `test_examples` check every file.
    `representative_data`: inputs (or (x, y)) that calibrate int8 quantisation (default: the test inputs). A
    format whose file fails its check under every runtime is refused: it is left out of the directory and its
    reason is in the report; so is one this process cannot make (SavedModel and TFLite of a Keras 3 model off
    the TensorFlow backend). A model that carries Python code (a Lambda layer) is refused before anything is
    written unless `trust_code`: its Keras file would carry that code, and checking the file means loading
    it, which runs it.
    """
    try:
        picked = fmts.parse(formats)
    except ValueError as error:
        raise TicketsError(str(error)) from None
    check_destination(directory)
    x, y = take(test_data, test_examples)
    if y is None:
        raise TicketsError("test_data needs labels: give (x, y) arrays or a dataset of (x, y) batches")
    calibration = x if representative_data is None else take(representative_data, calibration_examples)[0]
    float_model = plain.float32_model(model)
    code = None if trust_code else _carried_code(float_model)
    if code:
        raise TicketsError(f"the model's {code} (its Keras file would carry it): export it with trust_code=True "
                           "(--trust_model_code) only if you trust that code")
    reference = float_model.predict(x, batch_size=256, verbose=0)
    if not np.isfinite(reference).all():
        raise TicketsError("the model's own outputs hold NaN or infinity: nothing to export")
    counts = plain.kernel_counts(float_model.get_weights())
    summary = {"source": source or getattr(model, "name", "model"), "test_examples": int(len(x)),
               "latency_repeats": latency_repeats, "tolerance": tolerance, "min_int8_agreement": min_int8_agreement,
               "nonzero_weights": counts["nonzero"], "total_weights": counts["total"],
               "keras_accuracy": float((reference.argmax(-1) == y).mean()), "formats": [], "notes": []}
    summary["density"] = summary["nonzero_weights"] / max(1, summary["total_weights"])
    with staging(directory) as work, fmts.tflite_source(float_model) as source:
        left_out = {}  # reason -> the formats it leaves out
        for fmt in picked:
            reason = _unsupported(float_model, fmt)
            if reason:
                summary["formats"].append({"format": fmt.name, "quantized": fmt.quantized, "file": None,
                                           "refused": "not supported in this process (see the note)"})
                left_out.setdefault(reason, []).append(fmt.name)
                continue
            summary["formats"].append(_export_one(fmt, float_model, work, x, y, reference, calibration, summary,
                                                  trust_code, source))
        summary["notes"] += [f"{', '.join(names)} not written: {reason}" for reason, names in left_out.items()]
        write_json(os.path.join(work, REPORT_JSON), summary)
        write_atomic(os.path.join(work, REPORT_MD), reports.markdown(summary) + "\n")
    return summary


def _export_one(fmt, model, work, x, y, reference, calibration, summary, trust_code, source) -> Dict:
    row = {"format": fmt.name, "quantized": fmt.quantized}
    if not fmt.is_tflite:
        path = fmts.write(fmt, model, work)
        check = (verify.keras_file(path, x, reference, y, trust_code) if fmt.kind == "keras"
                 else verify.saved_model(path, x, reference, y))
        check = verify.judge(check, fmt, summary["tolerance"], summary["min_int8_agreement"])
        row.update(file=fmt.filename, nonzero_weights=check.pop("nonzero_weights"), parity={"keras": check},
                   **reports.sizes(path))
        reason = check.get("reason") or _zeros_differ(row, summary)
        if reason:
            _refuse(row, os.path.join(work, fmt.filename), reason, summary)
        return row
    quantize = calibration if fmt.quantized else None
    content = fmts.tflite_bytes(model, sparse=True, representative=quantize, source=source)
    twin = fmts.tflite_bytes(model, sparse=False, representative=quantize, source=source)
    parity = verify.tflite(content, x, reference, y, fmt, summary["tolerance"], summary["min_int8_agreement"])
    counts = litert.weight_counts(content)
    row.update(parity=parity, nonzero_weights=counts["nonzero"], densified_kernels=litert.operators(content).count("DENSIFY"),
               dense_twin=reports.bytes_sizes(twin), **reports.bytes_sizes(content))
    runs_on = [runtime for runtime, check in parity.items() if check["passed"]]
    reason = _zeros_differ(row, summary)
    if not runs_on or reason:
        _refuse(row, None, reason or "; ".join(f"{runtime}: {check['reason']}" for runtime, check in parity.items()),
                summary)
        return row
    row["file"] = os.path.basename(fmts.write(fmt, model, work, content))
    row["runs_on"] = runs_on
    for runtime, check in parity.items():
        if not check["passed"]:
            summary["notes"].append(f"{fmt.filename} does not run under {runtime} ({check['reason']}); "
                                    f"it is checked and shipped for {', '.join(runs_on)}")
    example = x[0]
    row["latency_ms"] = {runtime: {"sparse": litert.latency_ms(content, runtime, example, summary["latency_repeats"])
                                   if runtime in runs_on else None,
                                   "dense": _latency_or_none(twin, runtime, example, summary["latency_repeats"])}
                         for runtime in litert.RUNTIMES}
    return row


def _carried_code(model) -> Optional[str]:
    if kinds.of(model) == kinds.KERAS3:
        from tf_tickets.export import keras3

        return keras3.carried_code(model)
    from tf_tickets import saved_code

    return saved_code.find_in_config(model.get_config())


def _unsupported(model, fmt) -> Optional[str]:
    """Why `fmt` cannot be made of `model` in this process (a Keras 3 model off TensorFlow), or None."""
    if kinds.of(model) != kinds.KERAS3:
        return None
    from tf_tickets.export import keras3

    return keras3.unsupported(fmt.kind)


def _zeros_differ(row: Dict, summary: Dict) -> Optional[str]:
    """Why the file's stored zeros are not the masked model's, or None: a float file keeps exactly its
    non-zero weights; int8 may round tiny weights to zero, never add any."""
    stored, expected = row["nonzero_weights"], summary["nonzero_weights"]
    if stored == expected or (row["quantized"] and stored < expected):
        return None
    return f"it stores {stored:,} non-zero kernel weights, the masked model has {expected:,}"


def _latency_or_none(content, runtime, example, repeats):
    try:
        return litert.latency_ms(content, runtime, example, repeats)
    except (RuntimeError, ValueError):
        return None


def _refuse(row: Dict, path: Optional[str], reason: str, summary: Dict) -> None:
    if path is not None:
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    row["file"] = None
    row["refused"] = reason
    summary["notes"].append(f"{row['format']} refused: {reason}")


def take(data: Examples, limit: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Up to `limit` examples as arrays, from arrays, an (x, y) pair, or batches: a `tf.data` dataset, a
    `keras.utils.PyDataset`, a PyTorch `DataLoader` or any other iterable of (x, y) or x batches."""
    if _batches(data):
        xs, ys, count = [], [], 0
        for batch in data:
            bx, by = batch if isinstance(batch, (tuple, list)) else (batch, None)
            xs.append(as_numpy(bx, "a batch's x"))
            ys.append(None if by is None else as_numpy(by, "a batch's y"))
            count += len(xs[-1])
            if count >= limit:
                break
        x = np.concatenate(xs)[:limit]
        y = None if ys[0] is None else np.concatenate(ys)[:limit]
    elif isinstance(data, (tuple, list)):
        x, y = np.asarray(data[0])[:limit], np.asarray(data[1])[:limit]
    else:
        x, y = np.asarray(data)[:limit], None
    if len(x) == 0:
        raise TicketsError("no examples to check the export with")
    return x.astype(np.float32), (None if y is None else np.asarray(y).reshape(-1).astype(np.int64))


def _batches(data) -> bool:
    tf = sys.modules.get("tensorflow")  # a tf.data.Dataset means TensorFlow is loaded already
    if tf is not None and isinstance(data, tf.data.Dataset):
        return True
    return hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, tuple, list, str, bytes, dict))


def check_destination(directory: str) -> None:
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise TicketsError(f"{directory} exists and is not a directory")
        contents = os.listdir(directory)
        if contents and REPORT_JSON not in contents:
            raise TicketsError(f"{directory} exists and holds other files; give an empty or new directory")


@contextlib.contextmanager
def staging(directory: str) -> Iterable[str]:
    """A temporary directory beside `directory` that becomes it when the block succeeds."""
    directory = os.path.abspath(directory)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(directory)}.partial-")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(work, 0o777 & ~umask)  # mkdtemp's is private (0700): give the directory a plain one
    try:
        yield work
        old = None
        if os.path.exists(directory):
            old = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(directory)}.old-")
            os.rmdir(old)
            os.rename(directory, old)
        os.rename(work, directory)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
