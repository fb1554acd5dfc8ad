"""How much of a training step a convolutional network's convolutions take by themselves, as TensorFlow's
own kernels (oneDNN on an x86 CPU) run them: a floor under any training loop built on those kernels.

Side by side in one run, alternating, medians of --repeats: (a) seconds per step of plain Keras `fit` on
the bare model (SGD, sparse cross-entropy, timed at batch ends), and (b) one compiled function that runs,
one after another, every Conv2D layer's three kernels at that layer's shapes, strides and padding: the
forward convolution, the gradient with respect to its input (not for a layer that reads the model's input:
no step computes that one) and the gradient with respect to its kernel. It prints (b)/(a).

If (b)/(a) is above a goal set as a fraction of a step that costs about what plain Keras' does (issue 10:
a ResNet20 epoch on 28x28 inputs in <= 0.6x the loop's time, whose steps ran at 0.97-1.02x plain Keras'),
no change to the loop, callbacks or pipeline can meet it: the convolutions' arithmetic, or faster kernels
for it, would have to change.

    python benchmarks/convolution_floor.py [--models=cifar_resnet_20] [--batch_size=64] [--repeats=3]
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from tf_tickets import models  # noqa: E402
from tf_tickets.backend import keras, tf  # noqa: E402

from fit_throughput import plain_keras, synthetic  # noqa: E402  (a sibling script: plain Keras fit, timed)
from prune_cost import median_time  # noqa: E402  (another: a function's median time)

SHAPES = {"cifar_resnet_20": (28, 28, 1)}  # the ResNet20 on Fashion-MNIST; others are CIFAR-shaped


def convolutions_alone(model, batch):
    """A function running every Conv2D layer's forward, input-gradient and kernel-gradient kernels once, in
    sequence (they do not overlap, as a step's mostly cannot), and how many it runs."""
    kernels = []
    for layer in models.prunable_layers(model):
        if not isinstance(layer, keras.layers.Conv2D) or isinstance(layer, keras.layers.DepthwiseConv2D):
            continue
        config = layer.get_config()
        if config["data_format"] != "channels_last" or tuple(config["dilation_rate"]) != (1, 1):
            raise SystemExit(f"convolution_floor: {layer.name} is not a plain channels-last convolution")
        x_shape = (batch,) + tuple(layer.input.shape[1:])
        y_shape = (batch,) + tuple(layer.output.shape[1:])
        kernel_shape = tuple(layer.kernel.shape)
        strides = [1, *config["strides"], 1]
        padding = config["padding"].upper()
        reads_model_input = any(layer.input is i for i in model.inputs)
        kernels.append((x_shape, y_shape, kernel_shape, strides, padding, reads_model_input))

    tensors = [(tf.random.normal(x), tf.random.normal(k), tf.random.normal(y)) for x, y, k, *_ in kernels]

    @tf.function(autograph=False)
    def run():
        # Each kernel waits for the one before (control dependencies), and every result is summed into the
        # output: Grappler turns an op whose result only feeds control dependencies into a no-op.
        last, results = tf.constant(0.0), []
        for (x_shape, _, kernel_shape, strides, padding, first), (x, k, dy) in zip(kernels, tensors):
            ops = [lambda: tf.nn.conv2d(x, k, strides, padding),
                   lambda: tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=kernel_shape, out_backprop=dy,
                                                            strides=strides, padding=padding)]
            if not first:
                ops.append(lambda: tf.raw_ops.Conv2DBackpropInput(input_sizes=x_shape, filter=k, out_backprop=dy,
                                                                  strides=strides, padding=padding))
            for op in ops:
                with tf.control_dependencies([last]):
                    last = tf.reduce_sum(op()[..., :1])  # a small output: the kernels, not a copy, are timed
                results.append(last)
        return tf.add_n(results)

    run()  # traced and warmed up
    return run, sum(2 if reads_model_input else 3 for *_, reads_model_input in kernels)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cifar_resnet_20")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=24, help="steps of plain Keras fit per repeat")
    args = parser.parse_args(argv)
    print(f"batch {args.batch_size}, {os.cpu_count()} CPU cores, GPU: {bool(tf.config.list_physical_devices('GPU'))}")
    print("| network | plain Keras step (ms) | its convolution kernels alone (ms) | kernels | alone / step |")
    print("|---|---:|---:|---:|---:|")
    for name in args.models.split(","):
        shape = SHAPES.get(name, (32, 32, 3))
        data = synthetic(shape, 10, args.batch_size * 8)
        model = models.build(name, shape, 10, seed=0)
        run, count = convolutions_alone(model, args.batch_size)
        steps, alone = [], []
        for _ in range(args.repeats):  # alternating: this machine's speed drifts from minute to minute
            steps.append(plain_keras(name, data, args.batch_size, args.steps).median(skip=4))
            alone.append(median_time(lambda: run().numpy(), 10))
        step, conv = statistics.median(steps), statistics.median(alone)
        print(f"| {name} | {step * 1e3:.1f} | {conv * 1e3:.1f} | {count} | {conv / step:.2f} |", flush=True)


if __name__ == "__main__":
    main()
