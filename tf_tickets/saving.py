"""Loading models saved with our masks, schedules and optimizers, in one call."""
import os


from tf_tickets.backend import keras, tfmot
from tf_tickets.errors import TicketsError
from tf_tickets.pruning.schedules import FixedMask, OneShot
from tf_tickets.training.lr_schedules import WarmupSchedule
from tf_tickets.training.optimizers import CoupledL2Adam, CoupledL2SGD

CUSTOM_OBJECTS = {cls.__name__: cls for cls in (FixedMask, OneShot, WarmupSchedule, CoupledL2SGD, CoupledL2Adam)}


def load_model(path: str, compile: bool = True):  # noqa: A002 (Keras' own argument name)
    """`keras.models.load_model` with TF-MOT's wrapper and tf_tickets' classes known (.keras, .h5, SavedModel)."""
    if not os.path.exists(path):
        raise TicketsError(f"no saved model at {path}")
    with tfmot.sparsity.keras.prune_scope(), keras.utils.custom_object_scope(CUSTOM_OBJECTS):
        return keras.models.load_model(path, compile=compile)
