"""BatchNormalization whose training-mode second derivative is right and written out, for second-order scoring.

GraSP differentiates a backward pass once more. TensorFlow builds the derivative of the fused
BatchNorm gradient by rebuilding that gradient from a dozen elementwise ops and differentiating those,
about 40 passes over each BatchNorm's activations. Here the forward and backward passes are TensorFlow's
fused kernels, so outputs and gradients are unchanged, and their derivative is closed-form: three
reductions and about twenty elementwise passes. It matches TensorFlow's to float rounding (the formulas
against autodiff in float64, the layer against Keras's in float32). Per channel, over the m values it normalises (x^ = (x - mu) s, s = 1/sqrt(var + eps)):

    dx = gamma s (dy - mean(dy) - x^ mean(dy x^)),  dgamma = sum(dy x^),  dbeta = sum(dy)

and, for adjoints A of dx and a_gamma, a_beta of dgamma, dbeta, with R = A - mean(A) - x^ mean(A x^),
D = dy - mean(dy) - x^ mean(dy x^) and q = mean(A dy) - mean(A) mean(dy) - mean(dy x^) mean(A x^):

    d/d dy  = a_beta + a_gamma x^ + gamma s R
    d/d x   = a_gamma s D - gamma s^2 (q x^ + mean(A x^) D + mean(dy x^) R)
    d/d gamma = m s q
"""
from tf_tickets.backend import keras, tf


def batch_norm_training(x, gamma, beta, epsilon: float):
    """(y, batch mean, batch variance with Bessel's correction) of channels-last BatchNorm in training mode,
    as the fused kernel computes them (Keras moves its averages by these), y differentiable twice with the
    closed form above."""
    epsilon = float(epsilon)
    empty = tf.constant([], gamma.dtype)
    data_format = "NHWC" if x.shape.rank == 4 else "NDHWC"

    @tf.custom_gradient
    def forward(x, gamma, beta):
        y, mean, bessel_variance, saved_1, saved_2, saved_3 = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=gamma, offset=beta, mean=empty, variance=empty, epsilon=epsilon,
            exponential_avg_factor=1.0, data_format=data_format, is_training=True)
        m = tf.cast(tf.size(x, tf.int64) // tf.shape(x, tf.int64)[-1], mean.dtype)
        variance = bessel_variance * ((m - 1.0) / m)

        def backward(dy, *_):  # the statistics leave through stop_gradient: their adjoints are zero
            @tf.custom_gradient
            def fused_backward(dy, x, gamma):
                dx, dgamma, dbeta, _, _ = tf.raw_ops.FusedBatchNormGradV3(
                    y_backprop=dy, x=x, scale=gamma, reserve_space_1=saved_1, reserve_space_2=saved_2,
                    reserve_space_3=saved_3, epsilon=epsilon, data_format=data_format, is_training=True)
                return (dx, dgamma, dbeta), lambda a, a_gamma, a_beta: second_derivative(
                    a, a_gamma, a_beta, dy, x, gamma, mean, variance, dgamma, dbeta, m, epsilon)

            return fused_backward(dy, x, gamma)

        return (y, mean, bessel_variance), backward

    y, mean, bessel_variance = forward(x, gamma, beta)
    return y, tf.stop_gradient(mean), tf.stop_gradient(bessel_variance)  # they feed only the moving averages


def second_derivative(a, a_gamma, a_beta, dy, x, gamma, mean, variance, dgamma, dbeta, m, epsilon):
    """Gradients of <a, dx> + <a_gamma, dgamma> + <a_beta, dbeta> with respect to dy, x and gamma (see the
    module docstring), each output one pass of products and sums in the centred x - mean (in x itself the
    sums lose digits wherever the mean is large against the spread)."""
    out_dtype = x.dtype
    a, dy, x = (tf.cast(t, gamma.dtype) for t in (a, dy, x))  # float16 activations: the sums in float32
    axes = list(range(x.shape.rank - 1))  # all but the channels
    s = tf.math.rsqrt(variance + epsilon)
    centred = x - mean  # x^ / s
    mean_dy, mean_dy_xh = dbeta / m, dgamma / m
    mean_a = tf.reduce_mean(a, axes)
    mean_a_xh = s * tf.reduce_mean(a * centred, axes)
    d = dy - mean_dy - centred * (s * mean_dy_xh)  # D = dx / (gamma s), without dividing by gamma
    q = tf.reduce_mean(a * d, axes)  # = mean(A dy) - mean(A) mean(dy) - mean(dy x^) mean(A x^), without cancelling
    gs = gamma * s
    # d/d dy = a gs + x^ (a_gamma - gs mean(A x^)) + a_beta - gs mean(A)
    d_dy = a * gs + centred * ((a_gamma - gs * mean_a_xh) * s) + (a_beta - gs * mean_a)
    # d/d x = D c1 + x^ c2 + R c3, R expanded into a and x^
    gs2 = gs * s
    c1, c2, c3 = a_gamma * s - gs2 * mean_a_xh, -gs2 * q, -gs2 * mean_dy_xh
    d_x = d * c1 + centred * ((c2 - c3 * mean_a_xh) * s) + a * c3 - c3 * mean_a
    return tf.cast(d_dy, out_dtype), tf.cast(d_x, out_dtype), m * s * q


class SecondOrderBatchNormalization(keras.layers.BatchNormalization):
    """Keras's BatchNormalization with a right and fast second derivative in training mode.

    Fused (channels-last, 4-D or 5-D) it runs `batch_norm_training`: the same outputs, gradients and moving
    averages as Keras's, a cheaper second derivative. Unfused (other inputs, float64) Keras takes the
    variance from `tf.nn.moments`, whose stop_gradient on the mean gives a wrong second derivative; here the
    mean is differentiated through. Anything else (inference, channels-first, masks) is Keras's own."""

    def _fused_batch_norm(self, inputs, mask, training):
        if (tf.get_static_value(training) is not True or self._data_format not in ("NHWC", "NDHWC")
                or mask is not None):
            return super()._fused_batch_norm(inputs, mask, training)
        gamma = self.gamma if self.scale else tf.ones(self._param_shape, self._param_dtype)
        beta = self.beta if self.center else tf.zeros(self._param_shape, self._param_dtype)
        outputs, mean, variance = batch_norm_training(inputs, tf.convert_to_tensor(gamma),
                                                      tf.convert_to_tensor(beta), self.epsilon)
        self.add_update(lambda: self._assign_moving_average(self.moving_mean, mean, self.momentum, None))
        self.add_update(lambda: self._assign_moving_average(self.moving_variance, variance, self.momentum, None))
        return outputs

    def _no_sync_calculate_mean_and_var(self, inputs, reduction_axes, keep_dims, mask=None):
        if mask is not None:
            return super()._no_sync_calculate_mean_and_var(inputs, reduction_axes, keep_dims, mask)
        mean = tf.reduce_mean(inputs, reduction_axes, keepdims=True)
        variance = tf.reduce_mean(tf.math.squared_difference(inputs, mean), reduction_axes, keepdims=True)
        if not keep_dims:
            mean, variance = tf.squeeze(mean, reduction_axes), tf.squeeze(variance, reduction_axes)
        return mean, variance
