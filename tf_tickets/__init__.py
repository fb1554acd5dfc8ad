"""tf_tickets: find, sanity-check and ship sparse networks ("tickets") on TF-MOT, and on Keras 3.

Importing the package sets `TF_USE_LEGACY_KERAS=1` before TensorFlow loads, so that `tf.keras`
and TF-MOT use Keras 2 (`tf_keras`). `prune`, `strip`, `sparsity_report`, `format_report` and
`load_model` take a tf_keras model (masks in TF-MOT's wrappers) or a Keras 3 model on the TensorFlow,
JAX or PyTorch backend (masks in its own layers), told apart without importing either. The names below
load their modules on first use, so that importing a TensorFlow-free part of the package
(`tf_tickets.budgets`, `tf_tickets.masks`) stays light, and a Keras 3 model on JAX or PyTorch never
loads TensorFlow.
"""
import importlib
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tf_tickets.errors import TicketsError  # noqa: E402

__version__ = "0.1.0"

_LAZY = {"format_report": "tf_tickets.pruning", "prune": "tf_tickets.pruning", "sparsity_report": "tf_tickets.pruning",
         "strip": "tf_tickets.pruning", "load_model": "tf_tickets.loading",
         "sanity_check": "tf_tickets.procedures.user", "combine_masks": "tf_tickets.pruning.compose"}

__all__ = ["TicketsError", "__version__", *sorted(_LAZY)]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tf_tickets' has no attribute {name!r}")
