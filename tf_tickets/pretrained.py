"""Start a run from weights the user names (`--start_from`): a run directory, a weights file, or a saved
Keras model. A lottery jackpot searches its mask over them; any other run trains on from them.

    run directory   its final_weights.npz (a run trained with --save_weights, or a grid's pretrain run);
                    its config.json must name the same --model
    weights file    an .npz snapshot (final_weights.npz, rewind.npz) of the --model network
    Keras model     .keras, .h5 or a SavedModel directory, any architecture (TF-MOT wrappers are
                    stripped); it replaces --model, and its weights' fingerprint enters the run identity
"""
import dataclasses
import hashlib
import os
from typing import Callable, Optional, Tuple

from tf_tickets import files, run_files
from tf_tickets.errors import TicketsError
from tf_tickets.runs import Ref, RunSpec, Start

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")


def start_from(path: str, spec: RunSpec, data) -> Tuple[RunSpec, Optional[Callable]]:
    """(the spec starting from `path`'s weights, the model builder to use instead of the registry's or None)."""
    if not os.path.exists(path):
        raise TicketsError(f"--start_from={path} does not exist")
    if path.endswith(KERAS_SUFFIXES) or os.path.isfile(os.path.join(path, "saved_model.pb")):
        return _from_keras(path, spec, data)
    if os.path.isdir(path):
        return _from_run(path, spec), None
    if path.endswith(".npz"):
        return dataclasses.replace(spec, start=Start(weights=Ref.at(os.path.abspath(path)))), None
    raise TicketsError(f"--start_from={path}: give a run directory, a weights file (.npz) or a saved Keras model "
                       f"({', '.join(KERAS_SUFFIXES)} or a SavedModel directory)")


def _from_run(path: str, spec: RunSpec) -> RunSpec:
    config = files.read_json(os.path.join(path, run_files.CONFIG))
    if config is None:
        raise TicketsError(f"--start_from={path} is not a run directory (no {run_files.CONFIG})")
    weights = os.path.join(path, run_files.FINAL_WEIGHTS)
    if not os.path.isfile(weights):
        raise TicketsError(f"{path} holds no {run_files.FINAL_WEIGHTS}: train it to the end with --save_weights")
    if config.get("model") != spec.model:
        raise TicketsError(f"{path} trained {config.get('model')}, not --model={spec.model}")
    return dataclasses.replace(spec, start=Start(weights=Ref.at(os.path.abspath(weights))))


def _from_keras(path: str, spec: RunSpec, data) -> Tuple[RunSpec, Callable]:
    from tf_tickets.backend import tfmot
    from tf_tickets.saving import load_model

    def load():
        try:
            model = load_model(path, compile=False)
        except (OSError, ValueError, TypeError) as error:
            raise TicketsError(f"cannot load the Keras model {path}: {str(error).splitlines()[0]}") from None
        return tfmot.sparsity.keras.strip_pruning(model)

    model = load()
    fits(model, data, path)
    digest = hashlib.sha1(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()[:12]
    named = dataclasses.replace(spec, model=f"saved:{os.path.abspath(path)}:{digest}")
    return named, lambda seed: load()  # the saved weights are the start: the seed draws nothing


def fits(model, data, path: str) -> None:
    """One-line error unless `model` takes the data's images and predicts its classes."""
    expected = (None, *data.input_shape)
    if tuple(model.input_shape) != expected:
        raise TicketsError(f"{path} takes inputs of shape {tuple(model.input_shape)[1:]}, the data set has "
                           f"{tuple(data.input_shape)}")
    if int(model.output_shape[-1]) != data.num_classes:
        raise TicketsError(f"{path} predicts {model.output_shape[-1]} classes, the data set has {data.num_classes}")
