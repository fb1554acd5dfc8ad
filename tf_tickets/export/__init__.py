"""Shipping a ticket: SavedModel, Keras and sparse TFLite files (float and int8), each checked on real
examples against the Keras model, with sizes and LiteRT latency (`export`); `python -m
tf_tickets.export --run_dir=RUN` does it for a finished run."""
from tf_tickets.export.api import REPORT_JSON, REPORT_MD, export
from tf_tickets.export.formats import DEFAULT_FORMATS, FORMATS

__all__ = ["DEFAULT_FORMATS", "FORMATS", "REPORT_JSON", "REPORT_MD", "export"]
