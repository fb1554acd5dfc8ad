"""Image data sets for tf_tickets: loading (`load`), corruptions (`corrupt`), tf.data input (`pipeline`).

Data sets stay in memory as uint8 arrays (`ImageData`); see `datasets` for where each one is read from.
"""
from tf_tickets.data.datasets import DATASETS, DEFAULT, load, names
from tf_tickets.data.image_data import ImageData

__all__ = ["DATASETS", "DEFAULT", "ImageData", "load", "names"]
