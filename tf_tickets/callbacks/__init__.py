"""Keras callbacks: resumable checkpoints, metrics logs, step limits (and, later, rewinding and checks)."""
from tf_tickets.callbacks.metrics_log import MetricsLog
from tf_tickets.callbacks.resume import ResumableCheckpoint
from tf_tickets.callbacks.stop_at_step import StopAtStep

__all__ = ["MetricsLog", "ResumableCheckpoint", "StopAtStep"]
