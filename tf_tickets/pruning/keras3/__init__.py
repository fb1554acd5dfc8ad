"""Masks on Keras 3 models (TensorFlow, JAX or PyTorch backend), next to the tf_keras stack's TF-MOT wrappers.

`tf_tickets.prune(model, ...)` with a Keras 3 model (Functional, Sequential, or subclassed with its layers
tracked by Keras) returns a copy whose Conv/Dense layers carry their own masks (`layers`: the kernel is
multiplied by its mask in the forward pass, which every Keras 3 trainer runs with the mask as state); train
it with plain `model.fit`. The carrier (`carrier`), the policies by layer type (`policies`) and the stack
(`stack`: copies, graph, checks) sit beside it; criteria compute on the backend's own autodiff
(`tf_tickets.criteria.autodiff`). Nothing here imports TensorFlow unless Keras runs on it.
"""
from tf_tickets.pruning.keras3 import carrier, layers, stack  # noqa: F401  (registers the carrier and classes)
