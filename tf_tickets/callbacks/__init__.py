"""Keras callbacks: metrics logs, step limits, pruning mid-run, rewinding, mask checks (each written once, for
tf_keras and Keras 3 alike: `binding`), and tf_keras' resumable checkpoints (TensorFlow's, loaded on first use)."""
import importlib

from tf_tickets.callbacks.metrics_log import MetricsLog
from tf_tickets.callbacks.prune_at_step import PruneAtStep
from tf_tickets.callbacks.stop_at_step import StopAtStep
from tf_tickets.callbacks import checks, rewind

__all__ = ["checks", "rewind", "MetricsLog", "PruneAtStep", "ResumableCheckpoint", "StopAtStep"]


def __getattr__(name):
    if name == "ResumableCheckpoint":
        return importlib.import_module("tf_tickets.callbacks.resume").ResumableCheckpoint
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
