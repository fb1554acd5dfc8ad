"""Keras callbacks: resumable checkpoints, metrics logs, step limits, pruning mid-run, rewinding, mask checks."""
from tf_tickets.callbacks.metrics_log import MetricsLog
from tf_tickets.callbacks.prune_at_step import PruneAtStep
from tf_tickets.callbacks.resume import ResumableCheckpoint
from tf_tickets.callbacks.stop_at_step import StopAtStep
from tf_tickets.callbacks import checks, rewind

__all__ = ["checks", "rewind", "MetricsLog", "PruneAtStep", "ResumableCheckpoint", "StopAtStep"]
