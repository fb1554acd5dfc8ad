"""`cifar_vgg_<11|13|16|19>[_bn]`: the CIFAR VGG of the GraSP / open_lth code that Su et al. use.

Plans follow that code: four 2x2 max pools, none after the last group (so a 32x32 image ends as a 2x2
map; the classic plans with a fifth pool have the same weights). The reference's 2x2 average pool is
global average pooling here: equal on 32x32 and it also takes 28x28 (map 1x1). Pools are 'valid' (PyTorch's
floor), so images need at least 16 pixels a side. Convs 3x3 'same' with bias, He-normal (fan-in);
optional BN (PyTorch defaults) after each conv; one Dense N(0, 0.01).
"""
from tf_tickets.models import initializers
from tf_tickets.models.families import MODELS, classifier, image_shape

PLANS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512],
}


@MODELS.register_family(r"cifar_vgg_(?P<depth>11|13|16|19)(?P<bn>_bn)?", "cifar_vgg_<11|13|16|19>[_bn]")
def cifar_vgg(keras, inputs, num_classes, seeds, depth, bn=None):
    plan = PLANS[depth]
    image_shape(inputs.shape[1:], f"cifar_vgg_{depth}", min_side=2 ** plan.count("M"))
    x, conv, pool = inputs, 0, 0
    for item in plan:
        if item == "M":
            pool += 1
            x = keras.layers.MaxPool2D(2, name=f"pool{pool}")(x)
            continue
        conv += 1
        x = keras.layers.Conv2D(item, 3, padding="same", name=f"conv{conv}",
                                kernel_initializer=initializers.he_normal(keras, seeds, "fan_in"),
                                bias_initializer="zeros")(x)
        if bn:
            x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"bn{conv}")(x)
        x = keras.layers.ReLU(name=f"relu{conv}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avgpool")(x)
    return classifier(keras, x, num_classes, initializers.classifier_normal(keras, seeds))
