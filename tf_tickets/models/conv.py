"""Small conv nets: Frankle & Carbin's Conv-2/4/6 (`conv_2`, `conv_4`, `conv_6`) and a tiny
`mnist_conv_small` for fast tests.

Conv-k: k/2 pairs of 3x3 'same' ReLU convs (64, 128, 256 filters), each pair followed by a 2x2 max pool,
then Dense 256, Dense 256 (ReLU) and the classifier; Gaussian Glorot kernels, zero biases, as in the paper.
"""
from tf_tickets.models import initializers
from tf_tickets.models.families import MODELS, classifier, image_shape


def _conv(keras, x, filters, name, seeds):
    return keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=name,
                               kernel_initializer=initializers.glorot_normal(keras, seeds), bias_initializer="zeros")(x)


def _dense(keras, x, units, name, seeds):
    return keras.layers.Dense(units, activation="relu", name=name,
                              kernel_initializer=initializers.glorot_normal(keras, seeds), bias_initializer="zeros")(x)


def _conv_net(keras, inputs, num_classes, seeds, name, conv_widths, pool_every, dense_widths):
    pools = len(conv_widths) // pool_every
    image_shape(inputs.shape[1:], name, min_side=2 ** pools)
    x = inputs
    for i, filters in enumerate(conv_widths, start=1):
        x = _conv(keras, x, filters, f"conv{i}", seeds)
        if i % pool_every == 0:
            x = keras.layers.MaxPool2D(2, name=f"pool{i // pool_every}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(dense_widths, start=1):
        x = _dense(keras, x, units, f"fc{i}", seeds)
    return classifier(keras, x, num_classes, initializers.glorot_normal(keras, seeds))


def _valid(depth: int) -> bool:
    return depth in (2, 4, 6)


@MODELS.register_family(r"conv_(?P<depth>\d+)", "conv_<2|4|6>", _valid)
def conv_k(keras, inputs, num_classes, seeds, depth):
    widths = [64, 64, 128, 128, 256, 256][:depth]
    return _conv_net(keras, inputs, num_classes, seeds, f"conv_{depth}", widths, 2, [256, 256])


@MODELS.register("mnist_conv_small")
def mnist_conv_small(keras, inputs, num_classes, seeds):
    """Two pooled convs (8, 16 filters) and Dense 32: four prunable layers, builds and trains in moments."""
    return _conv_net(keras, inputs, num_classes, seeds, "mnist_conv_small", [8, 16], 1, [32])
