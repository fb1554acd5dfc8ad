"""Keras 3 on TensorFlow: `tf.GradientTape` over the stateless model (`keras3`), traced by `tf.function`
(one trace per compiled function and shape: SynFlow's rounds reuse it)."""
import tensorflow as tf

from tf_tickets.criteria.autodiff.keras3 import Keras3


def _dense(grads, values):
    return [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g) for g, v in zip(grads, values)]


class Keras3TensorFlow(Keras3):
    backend = "tensorflow"

    def read(self, variable):
        return tf.convert_to_tensor(variable.value)

    def gradient(self, f):
        @tf.function(autograph=False, reduce_retracing=True)
        def run(values, *args):
            with tf.GradientTape() as tape:
                tape.watch(values)
                out = f(values, *args)
            return _dense(tape.gradient(out, values), values)
        return run

    def hessian_vector_product(self, f):
        @tf.function(autograph=False, reduce_retracing=True)
        def run(values, vector, *args):
            with tf.GradientTape() as outer:
                outer.watch(values)
                with tf.GradientTape() as inner:
                    inner.watch(values)
                    out = f(values, *args)
                grads = _dense(inner.gradient(out, values), values)
                z = tf.add_n([tf.reduce_sum(tf.stop_gradient(v) * g) for v, g in zip(vector, grads)])
            return _dense(outer.gradient(z, values), values)
        return run

    def summed_squared_gradients(self, f):
        grad = self.gradient(f)

        def run(values, xs, ys, *args):  # one traced gradient, called per example
            sums = [tf.zeros_like(v) for v in values]
            for i in range(int(ys.shape[0])):
                sums = [s + tf.square(g) for s, g in zip(sums, grad(values, xs[i:i + 1], ys[i:i + 1], *args))]
            return sums
        return run


PRIMITIVES = Keras3TensorFlow()
