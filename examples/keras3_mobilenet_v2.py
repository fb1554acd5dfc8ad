"""A Keras 3 ticket end to end: Keras' own MobileNetV2 (alpha 0.35, 32x32 inputs, 10 classes) on Fashion-MNIST,
pruned at initialisation by SNIP, trained with plain `fit`, stripped, saved, loaded back and exported to sparse
TFLite files checked under LiteRT.

    python examples/keras3_mobilenet_v2.py [--train_examples=6000] [--epochs=1] [--out=mobilenet_v2_ticket]

Runs on Keras 3's TensorFlow backend (export needs it; prune, fit, strip, save and load run on JAX and PyTorch
too). The data is the Fashion-MNIST subset shipped with tf_tickets (6,000 training and 2,000 test images); its
28x28x1 images become 32x32x3 in the pipeline (2 pixels of zero padding a side, the channel repeated). Takes
about a minute on 2 CPU cores. What it shows: SNIP at 90% empties Conv_1 (the 1x1 conv to 1280 channels before
the classifier), which cuts every path from input to output, and tf_tickets says so; `budget_options=
{"min_density": 0.01}` keeps 1% of every layer at the same total; the masked weights stay exactly 0 through
`fit`; the exported sparse file gives the Keras model's logits.
"""
import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tf_tickets  # noqa: E402
from tf_tickets import data  # noqa: E402
from tf_tickets.export import export, report  # noqa: E402
from tf_tickets.pruning import targets  # noqa: E402


def fashion_mnist_32x32(images: data.ImageData, x: np.ndarray, y: np.ndarray, batch_size: int = 64,
                        shuffle_seed=None) -> tf.data.Dataset:
    """Batches of normalised 32x32x3 float images and their labels, from 28x28x1 uint8 images."""
    def to_32x32x3(image, label):
        image = (tf.cast(image, tf.float32) / 255.0 - images.mean[0]) / images.std[0]
        return tf.image.grayscale_to_rgb(tf.image.resize_with_crop_or_pad(image, 32, 32)), label

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(x), seed=shuffle_seed)
    return dataset.batch(batch_size).map(to_32x32x3, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def mobilenet_v2(seed: int) -> keras.Model:
    """Keras' MobileNetV2, width 0.35, untrained, 10 logits (no softmax: the loss takes logits)."""
    keras.utils.set_random_seed(seed)
    model = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=10,
                                           classifier_activation=None)
    for layer in model.layers:  # its BatchNorm momentum, 0.999, suits ImageNet's long runs, not one short epoch
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    return model


def masked_nonzero(model) -> int:
    """Masked weights that are not exactly 0 (0 for a ticket trained by tf_tickets' masked layers)."""
    return sum(int(np.count_nonzero(t.weight.numpy()[t.mask.numpy() == 0])) for t in targets(model))


def main(train_examples: int = 6000, epochs: int = 1, out: str = "mobilenet_v2_ticket", seed: int = 0):
    images = data.load("embedded")
    train = fashion_mnist_32x32(images, images.x_train[:train_examples], images.y_train[:train_examples],
                                shuffle_seed=seed)
    model = mobilenet_v2(seed)

    # SNIP at 90% (one global threshold): Conv_1 ends up empty, a warning names it and says the network is cut.
    tf_tickets.prune(model, "snip", sparsity=0.9, data=train, seed=seed)
    # The remedy: no layer keeps less than 1%; the total stays 90%.
    pruned = tf_tickets.prune(model, "snip", sparsity=0.9, data=train, seed=seed, budget_options={"min_density": 0.01})
    print(tf_tickets.format_report(tf_tickets.sparsity_report(pruned)))

    pruned.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                   keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    pruned.fit(train, epochs=epochs)
    print("masked weights that are not 0 after fit:", masked_nonzero(pruned))

    os.makedirs(out, exist_ok=True)
    ticket_path = os.path.join(out, "ticket.keras")
    tf_tickets.strip(pruned).save(ticket_path)  # a plain Keras 3 model, masked weights exactly 0
    ticket = keras.saving.load_model(ticket_path)
    test = fashion_mnist_32x32(images, images.x_test, images.y_test)
    exported = export(ticket, os.path.join(out, "export"), test_data=test,
                      representative_data=fashion_mnist_32x32(images, images.x_train[:200], images.y_train[:200]))
    print(report.markdown(exported))
    return exported


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_examples", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--out", default="mobilenet_v2_ticket")
    parser.add_argument("--seed", type=int, default=0)
    main(**vars(parser.parse_args()))
