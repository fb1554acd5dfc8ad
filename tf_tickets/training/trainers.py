"""The training loop of each kind of Keras, picked by the model: tf_keras' (`tf_tickets.training.loop`: tf.data,
TensorFlow checkpoints, tf.distribute, compiled models a grid's runs share) or Keras 3's
(`tf_tickets.training.keras3.loop`: NumPy batches and checkpoints, any backend). Each module gives `train`,
`scoring_data` (what a data-dependent criterion sees) and `pruning_callbacks` (what masks need while the model
trains); it is imported when a model of its kind first trains, so a Keras 3 run never loads TensorFlow."""
import importlib

from tf_tickets import kinds
from tf_tickets.pruning import stacks

_MODULES = {kinds.TF_KERAS: "tf_tickets.training.loop", kinds.KERAS3: "tf_tickets.training.keras3.loop"}


def of(model):
    """The training loop module for `model`'s Keras; a one-line TicketsError for what is no Keras model."""
    stacks.of(model)
    return importlib.import_module(_MODULES[kinds.of(model)])
