"""Masks on models: carriers, policies, fixed-mask schedules, `prune`, reports, files.

tf_keras models carry masks in TF-MOT wrappers, Keras 3 models in their own layers (`keras3`). The names
below load their modules on first use, so that importing the package loads no framework: a Keras 3 model on
JAX or PyTorch is pruned, reported and stripped without TensorFlow. A program that has loaded tf_keras
already gets the tf_keras stack at once, as the package always loaded it (TF-MOT's wrapper classes
registered, its carriers known), whichever submodule it asked for first.
"""
import importlib
import sys

_CARRIERS = ("MaskCarrier", "Target", "apply_masks", "assign_masks", "current_masks", "inner_layer", "is_wrapped",
             "strip", "targets")
_LAZY = {**{name: "tf_tickets.pruning.carriers" for name in _CARRIERS},
         "POLICIES": "tf_tickets.pruning.policies", "Pruner": "tf_tickets.pruning.pruner",
         "prune": "tf_tickets.pruning.pruner", "format_report": "tf_tickets.pruning.report",
         "sparsity_report": "tf_tickets.pruning.report", "FixedMask": "tf_tickets.pruning.schedules",
         "OneShot": "tf_tickets.pruning.schedules", "check_model": "tf_tickets.pruning.wrapping",
         "wrap": "tf_tickets.pruning.wrapping"}

__all__ = sorted(_LAZY) + ["collapse", "mask_files", "scoring_copies"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "mask_files":
        return importlib.import_module("tf_tickets.masks")
    try:
        return importlib.import_module(f"{__name__}.{name}")  # a submodule: tf_tickets.pruning.collapse, ...
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


if "tf_keras" in sys.modules:
    importlib.import_module("tf_tickets.pruning.tfmot_stack")
