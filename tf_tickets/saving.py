"""Loading models saved with our masks, schedules and optimizers, in one call, without running code from the file.

A saved Keras model can carry Python code (a `Lambda` layer's bytecode, a function or class named by module)
that tf_keras runs while it rebuilds the model, and its `safe_mode` covers only the `.keras` format. Here
every format is inspected first (`tf_tickets.saved_code`, which reads the configs without deserialising
them): a model that carries code is refused with one line naming the layer, unless the caller trusts the
file (`trust_code=True`, `--trust_model_code` on the command line). Any other failure to load is one line too.
"""
import importlib
import os

from tf_tickets import saved_code
from tf_tickets.backend import keras, tfmot
from tf_tickets.errors import TicketsError
from tf_tickets.pruning.schedules import FixedMask, OneShot
# Registers our wrapper as tf_tickets>PruneLowMagnitude, the name saved models give it; "PruneLowMagnitude"
# stays TF-MOT's own (prune_scope), which models pruned by TF-MOT alone name.
from tf_tickets.pruning import wrapper  # noqa: F401
from tf_tickets.training.lr_schedules import WarmupSchedule
from tf_tickets.training.optimizers import CoupledL2Adam, CoupledL2SGD

CUSTOM_OBJECTS = {cls.__name__: cls for cls in (FixedMask, OneShot, WarmupSchedule, CoupledL2SGD, CoupledL2Adam)}
_serialization = importlib.import_module(keras.__name__ + ".src.saving.serialization_lib")


def load_model(path: str, compile: bool = True, trust_code: bool = False):  # noqa: A002 (Keras' own argument name)
    """`keras.models.load_model` with TF-MOT's wrapper and tf_tickets' classes known (.keras, .h5, SavedModel).

    A model whose configs carry Python code is refused before anything is deserialised, unless `trust_code`:
    then Keras runs that code as it loads (only for a file you trust). Every failure is a `TicketsError`.
    """
    if not os.path.exists(path):
        raise TicketsError(f"no saved model at {path}")
    with tfmot.sparsity.keras.prune_scope(), keras.utils.custom_object_scope(CUSTOM_OBJECTS):
        if not trust_code:
            found = saved_code.find(path)
            if found:
                raise TicketsError(f"{path}: {found}; load it with trust_code=True (--trust_model_code) only if you "
                                   "trust the file")
        try:
            # Keras' own check as well, for every format (its safe_mode argument reaches the .keras loader only).
            with _serialization.SafeModeScope(not trust_code):
                return keras.models.load_model(path, compile=compile, safe_mode=not trust_code)
        except Exception as error:  # noqa: BLE001 (trusted code may raise anything: one line, not a traceback)
            raise TicketsError(f"cannot load the Keras model {path}: {type(error).__name__}: "
                               f"{saved_code.first_line(error)}") from None

