"""Python code that loading a saved Keras model would run, found in its configs before anything is deserialised.

tf_keras rebuilds a model from the JSON configs in the file, and some configs carry code: a `Lambda` layer
(or an RNN cell wrapper) holds the marshalled bytecode of its function, which Keras unmarshals and runs while
it rebuilds the model (`safe_mode` refuses that only for the `.keras` format); a function named by module and
name (`{"class_name": "function", "module": ...}`) is looked up and later called; a class named by a module
that is neither Keras's nor registered makes Keras import that module and call the class's `from_config`.
`find` reads the configs loading would read, as tf_keras picks the format, without deserialising them:

    .keras (a zip)   its config.json (compile settings included)
    .h5 / any file   the HDF5 attributes `model_config` and `training_config`, read with h5py
    SavedModel dir   keras_metadata.pb: one JSON config per saved Keras object (a protobuf, parsed, not run).
                     A SavedModel without it (written by `tf.saved_model.save`, or by TensorFlow before 2.5)
                     is no Keras model to tf_tickets and is refused: `tf.saved_model.load` reads its graph.

What stays allowed: Keras's own classes and built-in functions (`"relu"`, a built-in loss), and classes and
functions registered in this process (`keras.utils.register_keras_serializable`, or known in the custom
object scope the caller opened): their code is the program's own, not the file's.
"""
import json
import os
import zipfile
from typing import Iterator, List, Optional, Tuple

from tf_tickets.backend import keras
from tf_tickets.errors import TicketsError

KERAS_METADATA = "keras_metadata.pb"
# The Keras modules whose functions a config may name by their bare name (tf_keras' own list).
BUILTIN_FUNCTION_MODULES = ("activations", "constraints", "initializers", "losses", "metrics", "optimizers",
                            "regularizers")
_SPECIAL = ("__tuple__", "__tensor__", "__numpy__", "__bytes__")  # plain values, rebuilt without any lookup
_TRAINING = ("training_config", "compile_config")


def find(path: str) -> Optional[str]:
    """Where and what code loading `path` would run ("layer 'lambda' (Lambda) holds ..."), or None. Call it
    inside the custom object scope the loading will use, so that registered objects count as known."""
    for config in configs(path):
        found = find_in_config(config)
        if found:
            return found
    return None


def find_in_config(config) -> Optional[str]:
    """As `find`, for one config (a saved one, or a live model's `get_config()`)."""
    for where, node in _nodes(config, ("layer", None)):
        what = _code(node)
        if what:
            return f"{_describe(where)} {what}"
    return None


def configs(path: str) -> List[dict]:
    """The configs tf_keras would rebuild `path` from, in the format it would pick."""
    if os.path.isdir(path):
        return _saved_model(path)
    if path.endswith(".keras") and zipfile.is_zipfile(path):
        return _keras_zip(path)
    return _hdf5(path)


def _keras_zip(path: str) -> List[dict]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [json.loads(archive.read("config.json"))]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise TicketsError(f"{path} is not a readable Keras archive: {first_line(error)}") from None


def _hdf5(path: str) -> List[dict]:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            texts = [f.attrs.get(name) for name in ("model_config", "training_config")]
    except OSError as error:
        raise TicketsError(f"{path} is not a Keras model (.keras, .h5 or a SavedModel directory): "
                           f"{first_line(error)}") from None
    if texts[0] is None:
        raise TicketsError(f"{path} holds no model config (a weights-only file?): give a saved model")
    try:
        return [json.loads(t.decode("utf-8") if isinstance(t, bytes) else t) for t in texts if t is not None]
    except ValueError as error:
        raise TicketsError(f"{path}: its model config is not JSON: {first_line(error)}") from None


def _saved_model(path: str) -> List[dict]:
    metadata_path = os.path.join(path, KERAS_METADATA)
    if not os.path.isfile(metadata_path):
        raise TicketsError(f"{path} is not a Keras SavedModel (no {KERAS_METADATA}: written by tf.saved_model.save or "
                           "TensorFlow before 2.5): tf_tickets loads Keras models saved with model.save; "
                           "tf.saved_model.load reads its TensorFlow graph")
    saved_metadata_pb2 = __import__(keras.__name__ + ".protobuf.saved_metadata_pb2", fromlist=["SavedMetadata"])
    metadata = saved_metadata_pb2.SavedMetadata()
    try:
        with open(metadata_path, "rb") as f:
            metadata.ParseFromString(f.read())
        return [json.loads(node.metadata) for node in metadata.nodes if node.metadata]
    except ValueError as error:  # protobuf's DecodeError and json's errors are ValueErrors
        raise TicketsError(f"{metadata_path} cannot be read: {first_line(error)}") from None


Where = Tuple[str, Optional[str]]  # ("layer" or "the training configuration", the named object or None)


def _nodes(node, where: Where) -> Iterator[Tuple[Where, dict]]:
    """Every dict of a config, depth first, with the innermost named Keras object around it."""
    if isinstance(node, list):
        for item in node:
            yield from _nodes(item, where)
    elif isinstance(node, dict):
        inner = node.get("config")
        if isinstance(node.get("class_name"), str) and isinstance(inner, dict) and isinstance(inner.get("name"), str):
            where = (where[0], f"{inner['name']!r} ({node['class_name']})")
        yield where, node
        for key, value in node.items():
            yield from _nodes(value, ("the training configuration", None) if key in _TRAINING else where)


def _describe(where: Where) -> str:
    context, named = where
    if context == "layer":
        return f"layer {named}" if named else "the model"
    return f"{context} ({named})" if named else context


def _code(node: dict) -> Optional[str]:
    """What code this dict of a config would have loading run, or None."""
    class_name = node.get("class_name")
    if class_name == "__lambda__":
        return "holds a Python lambda (marshalled bytecode), which loading would run"
    for key, kind in node.items():  # a Lambda's "function"/"function_type", "output_shape"/..., "mask"/...
        if key.endswith("_type") and kind in ("lambda", "function") and key[:-len("_type")] in node:
            attr = key[:-len("_type")]
            if kind == "lambda":
                return f"holds Python code (the marshalled bytecode of its {attr}), which loading would run"
            named = node[attr].get("config") if isinstance(node[attr], dict) else node[attr]
            return f"names the Python function {named!r} as its {attr}, which loading would look up and call"
    if not isinstance(class_name, str) or "module" not in node or class_name in _SPECIAL:
        return None
    module = node.get("module")
    if class_name == "function":
        name = node.get("config")
        if _registered(name) or (_keras_module(module) or module == "builtins") and _builtin_function(name):
            return None
        return f"names the Python function {module}.{name}, which loading would look up and call"
    if class_name == "__typespec__":
        class_name = node.get("spec_name")
    if _registered(node.get("registered_name", class_name)) or module is None or _keras_module(module):
        return None
    return f"names the class {class_name} of module {module}, which loading would import and run"


def _registered(name) -> bool:
    """Whether Keras resolves `name` from this process's registry or the open custom object scopes."""
    return isinstance(name, str) and keras.utils.get_registered_object(name) is not None


def _keras_module(module) -> bool:
    return isinstance(module, str) and any(module == root or module.startswith(root + ".")
                                           for root in ("keras", "tf_keras"))


def _builtin_function(name) -> bool:
    return isinstance(name, str) and not name.startswith("_") and any(
        callable(getattr(getattr(keras, module), name, None)) for module in BUILTIN_FUNCTION_MODULES)


def first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
