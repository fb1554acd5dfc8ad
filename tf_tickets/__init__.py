"""tf_tickets: find, sanity-check and ship sparse networks ("tickets") on TF-MOT.

Importing the package sets `TF_USE_LEGACY_KERAS=1` before TensorFlow loads, so that `tf.keras`
and TF-MOT use Keras 2 (`tf_keras`). Build every model with `tf_keras`.
"""
from tf_tickets import backend as _backend  # noqa: F401  (sets the Keras 2 environment first)
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import format_report, prune, sparsity_report, strip
from tf_tickets.saving import load_model

__version__ = "0.1.0"

__all__ = ["TicketsError", "__version__", "format_report", "load_model", "prune", "sparsity_report", "strip"]
