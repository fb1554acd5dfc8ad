"""Start a run from weights the user names (`--start_from`): a run directory, a weights file, or a saved
Keras model. A lottery jackpot searches its mask over them; any other run trains on from them.

    run directory   its final_weights.npz (a run trained with --save_weights, or a grid's pretrain run);
                    its config.json must name the same --model
    weights file    an .npz snapshot (final_weights.npz, rewind.npz) of the --model network
    Keras model     .keras, .h5 or a SavedModel directory, any architecture (TF-MOT wrappers are
                    stripped); it replaces --model, and its weights' fingerprint enters the run identity.
                    One that carries Python code (a Lambda layer) is refused unless `trust_code`
                    (--trust_model_code): `tf_tickets.saving.load_model`
"""
import dataclasses
import hashlib
import os
from typing import Callable, Optional, Tuple

from tf_tickets import run_files
from tf_tickets.errors import TicketsError
from tf_tickets.runs import Ref, RunSpec, Start

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")


def start_from(path: str, spec: RunSpec, data, trust_code: bool = False) -> Tuple[RunSpec, Optional[Callable]]:
    """(the spec starting from `path`'s weights, the model builder to use instead of the registry's or None).
    `trust_code`: load a saved Keras model even if it carries Python code, which then runs."""
    if not os.path.exists(path):
        raise TicketsError(f"--start_from={path} does not exist")
    if path.endswith(KERAS_SUFFIXES) or os.path.isfile(os.path.join(path, "saved_model.pb")):
        return _from_keras(path, spec, data, trust_code)
    if os.path.isdir(path):
        return _from_run(path, spec), None
    if path.endswith(".npz"):
        return dataclasses.replace(spec, start=Start(weights=Ref.at(os.path.abspath(path)))), None
    raise TicketsError(f"--start_from={path}: give a run directory, a weights file (.npz) or a saved Keras model "
                       f"({', '.join(KERAS_SUFFIXES)} or a SavedModel directory)")


def _from_run(path: str, spec: RunSpec) -> RunSpec:
    trained = RunSpec.read(path)
    weights = os.path.join(path, run_files.FINAL_WEIGHTS)
    if not os.path.isfile(weights):
        raise TicketsError(f"{path} holds no {run_files.FINAL_WEIGHTS}: train it to the end with --save_weights")
    if trained.model != spec.model:
        raise TicketsError(f"{path} trained {trained.model}, not --model={spec.model}")
    return dataclasses.replace(spec, start=Start(weights=Ref.at(os.path.abspath(weights))))


def _from_keras(path: str, spec: RunSpec, data, trust_code: bool) -> Tuple[RunSpec, Callable]:
    from tf_tickets.backend import tfmot
    from tf_tickets.saving import load_model

    def load():  # every failure is one line (tf_tickets.saving)
        return tfmot.sparsity.keras.strip_pruning(load_model(path, compile=False, trust_code=trust_code))

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
