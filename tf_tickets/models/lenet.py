"""`mnist_lenet_<h1>_<h2>[_...]` (e.g. mnist_lenet_300_100): the fully connected LeNet of Frankle & Carbin.

Flatten, one ReLU Dense per hidden width, then the classifier. Kernels are Gaussian Glorot as in
Frankle & Carbin (2019) (open_lth defaults to He-normal instead); biases zero.
"""
from tf_tickets.errors import TicketsError
from tf_tickets.models import initializers
from tf_tickets.models.families import MODELS, classifier


def _valid(hidden: str) -> bool:
    return all(int(width) > 0 for width in hidden.strip("_").split("_"))


@MODELS.register_family(r"mnist_lenet(?P<hidden>(?:_\d+)+)", "mnist_lenet_<h1>_<h2>[_...]", _valid)
def mnist_lenet(keras, inputs, num_classes, seeds, hidden):
    if len(inputs.shape) < 2:
        raise TicketsError(f"mnist_lenet needs a non-empty input_shape, got {tuple(inputs.shape[1:])}")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for i, width in enumerate(hidden.strip("_").split("_"), start=1):
        x = keras.layers.Dense(int(width), activation="relu", name=f"fc{i}",
                               kernel_initializer=initializers.glorot_normal(keras, seeds), bias_initializer="zeros")(x)
    return classifier(keras, x, num_classes, initializers.glorot_normal(keras, seeds))
