"""`tf_tickets.load_model`: a saved model with its masks, loaded by the Keras that saved it and no other.

A `.keras` file that Keras 3 wrote (its metadata says so) loads with Keras 3, tf_tickets' masked layers
registered (`tf_tickets.pruning.keras3.layers`), on whatever backend Keras runs: no TensorFlow on JAX or
PyTorch. Everything else (tf_keras's `.keras`, `.h5`, SavedModel) goes to `tf_tickets.saving`, which checks
the file for code before anything is deserialised.
"""
import json
import os
import zipfile

from tf_tickets.errors import TicketsError


def load_model(path: str, compile: bool = True, trust_code: bool = False):  # noqa: A002 (Keras' own argument name)
    """The model saved at `path`, masks included. A Keras 3 file runs no code from the file unless
    `trust_code` (Keras' `safe_mode`); every failure is a `TicketsError`."""
    if not os.path.exists(path):
        raise TicketsError(f"no saved model at {path}")
    if not saved_by_keras3(path):
        from tf_tickets import saving

        return saving.load_model(path, compile=compile, trust_code=trust_code)
    import keras

    from tf_tickets.pruning.keras3 import layers  # noqa: F401  (registers the masked layer classes)

    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=not trust_code)
    except Exception as error:  # noqa: BLE001  (a one-line error, never a traceback)
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TicketsError(f"could not load the Keras 3 model at {path}: {type(error).__name__}: {first}") from None


def saved_by_keras3(path: str) -> bool:
    """Whether `path` is a `.keras` file whose metadata names Keras 3 or later."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            version = json.loads(archive.read("metadata.json")).get("keras_version", "")
    except (KeyError, ValueError, OSError):
        return False
    return version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 3
