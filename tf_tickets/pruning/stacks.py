"""One stack per kind of Keras: what `prune`, scoring, collapse checks and snapshots need from a model beyond
its mask carriers (`tf_tickets.pruning.carriers`).

tf_keras models go to TF-MOT's wrappers (`tf_tickets.pruning.tfmot_stack`), Keras 3 models to masks kept in
their own layers (`tf_tickets.pruning.keras3`). A stack's module is imported only when a model of its kind
shows up: a Keras 3 model on JAX or PyTorch never loads TensorFlow. Importing a stack also registers its
carriers.
"""
import abc
import importlib
from typing import List, Optional, Tuple

import numpy as np

from tf_tickets import kinds
from tf_tickets.errors import TicketsError

_MODULES = {kinds.TF_KERAS: "tf_tickets.pruning.tfmot_stack", kinds.KERAS3: "tf_tickets.pruning.keras3.stack"}
_LOADED = {}  # kind -> its Stack, once imported


class Stack(abc.ABC):
    """How tf_tickets handles one kind of Keras model."""

    @abc.abstractmethod
    def check_model(self, model) -> None:
        """A one-line TicketsError for a model this stack cannot carry masks on."""

    @abc.abstractmethod
    def wrap(self, model, policy):
        """A copy of `model` whose layers picked by `policy` carry masks (all ones); `model` is left as it is."""

    @abc.abstractmethod
    def layers(self, model) -> list:
        """The layers of `model` that can carry masks, in forward order."""

    @abc.abstractmethod
    def graph(self, model) -> Tuple[dict, List[str], List[str]]:
        """(layer name -> names of the layers feeding it, input names, output names), names as `layers` gives."""

    @abc.abstractmethod
    def scoring_copy(self, wrapped, dtype: Optional[str] = None, second_order: bool = False):
        """A plain model holding `wrapped`'s weights, masked ones zero, that criteria may change (`pruner`)."""

    @abc.abstractmethod
    def is_residual(self, model) -> bool:
        """Whether the model has a skip connection (smart-ratio budgets tell residual nets apart)."""

    @abc.abstractmethod
    def num_classes(self, model) -> int:
        """The width of the model's (logits) output."""

    def float_masks(self, kept) -> List[np.ndarray]:
        """0/1 float32 masks from the budget's booleans."""
        return [np.asarray(k, np.float32) for k in kept]


def of(obj) -> Stack:
    """The stack of a model (or of a layer), imported on first use; a TicketsError for anything else."""
    kind = kinds.of(obj)
    if kind is None:
        raise TicketsError(f"expected a Keras model (tf_keras or Keras 3), got {type(obj).__name__}")
    if kind not in _LOADED:
        _LOADED[kind] = importlib.import_module(_MODULES[kind]).STACK
    return _LOADED[kind]


def load_for(obj) -> None:
    """Registers the carriers of `obj`'s stack, if it has one (nothing for a non-Keras object)."""
    if kinds.of(obj) is not None:
        of(obj)
