"""`cifar_resnet_<depth>[_<width>]`: the CIFAR ResNet of He et al. (2016) as open_lth and Su et al. build it.

Depth 6n+2: a 3x3 stem, three stages of n basic blocks (widths w, 2w, 4w; stride 2 entering stages 2
and 3), a 1x1 conv + BN projection where the shape changes, global average pooling, one Dense.
Convs have no bias and He-normal (fan-out) kernels; BN uses PyTorch's momentum 0.1 (Keras 0.9) and
epsilon 1e-5.
"""
from tf_tickets.models import initializers
from tf_tickets.models.families import MODELS, classifier, image_shape


def _conv(keras, filters, kernel_size, strides, name, seeds):
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                               kernel_initializer=initializers.he_normal(keras, seeds, "fan_out"), name=name)


def _bn(keras, name):
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)


def _block(keras, x, filters, strides, name, seeds):
    """conv-BN-ReLU-conv-BN plus shortcut, then ReLU. The projection is created after conv2 and fed to
    Add second, so that Keras's layer order (docs/methods.md "Layer order") puts it right after conv2."""
    y = _conv(keras, filters, 3, strides, f"{name}_conv1", seeds)(x)
    y = keras.layers.ReLU(name=f"{name}_relu1")(_bn(keras, f"{name}_bn1")(y))
    y = _bn(keras, f"{name}_bn2")(_conv(keras, filters, 3, 1, f"{name}_conv2", seeds)(y))
    if strides != 1 or x.shape[-1] != filters:
        x = _bn(keras, f"{name}_shortcut_bn")(_conv(keras, filters, 1, strides, f"{name}_shortcut_conv", seeds)(x))
    y = keras.layers.Add(name=f"{name}_add")([y, x])
    return keras.layers.ReLU(name=f"{name}_relu2")(y)


def _valid(depth: int, width: int = 16) -> bool:
    return depth >= 8 and (depth - 2) % 6 == 0 and width >= 1


@MODELS.register_family(r"cifar_resnet_(?P<depth>\d+)(?:_(?P<width>\d+))?",
                        "cifar_resnet_<depth=6n+2>[_<width>]", _valid)
def cifar_resnet(keras, inputs, num_classes, seeds, depth, width=16):
    image_shape(inputs.shape[1:], "cifar_resnet")
    blocks = (depth - 2) // 6
    x = _conv(keras, width, 3, 1, "stem_conv", seeds)(inputs)
    x = keras.layers.ReLU(name="stem_relu")(_bn(keras, "stem_bn")(x))
    for stage in range(3):
        for block in range(blocks):
            strides = 2 if stage > 0 and block == 0 else 1
            x = _block(keras, x, width * 2 ** stage, strides, f"stage{stage + 1}_block{block + 1}", seeds)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return classifier(keras, x, num_classes, initializers.classifier_normal(keras, seeds))
