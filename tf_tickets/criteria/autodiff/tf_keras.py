"""The criteria's primitives for tf_keras models, in TensorFlow (the package's optimised paths).

The loss and its gradient as the PyTorch references compute them (net in train mode). `loss_gradients` and
GraSP's `hessian_gradient_product` run eagerly the first time they see a model and traced from the second
time on (`TracedOnReuse`): a one-off scoring pays no tracing, and the plain copy that `Pruner` keeps per
architecture is traced once for a whole grid of runs. OBD's per-example gradients run in one compiled loop;
SynFlow scores a float64 copy in traced steps, and offers its rounds over the survivors.
"""
import functools
import weakref
from typing import List

import numpy as np

from tf_tickets import models
from tf_tickets.backend import keras, tf
from tf_tickets.criteria.autodiff.base import Autodiff
from tf_tickets.errors import TicketsError
from tf_tickets.models.common import blank_clone

SEEN = "seen"


class TracedOnReuse:
    """`fn(model, weights, *tensors, **options)`, eager on the first call for a (model, weights, options),
    a traced `tf.function` of the tensors from the second on (shapes generalised, so other batch sizes
    reuse the trace where they can)."""

    def __init__(self, fn):
        self.fn = fn
        functools.update_wrapper(self, fn)
        self._calls = weakref.WeakKeyDictionary()  # model -> {(weights, options): SEEN or traced function}

    def __call__(self, model, weights, *tensors, **options):
        calls = self._calls.setdefault(model, {})
        key = (tuple(id(w) for w in weights), tuple(sorted(options.items())))
        entry = calls.get(key)
        if entry is None:
            calls[key] = SEEN
            return self.fn(model, weights, *tensors, **options)
        if entry is SEEN:
            entry = calls[key] = tf.function(functools.partial(self.fn, model, list(weights), **options),
                                             autograph=False, reduce_retracing=True)
        return entry(*[tf.convert_to_tensor(t) for t in tensors])


def cross_entropy(model, x, y, temperature: float = 1.0, training: bool = True):
    """Mean cross-entropy of the logits / temperature; logits cast to float32 first (mixed precision)."""
    logits = tf.cast(model(x, training=training), tf.float32)
    if temperature != 1.0:
        logits = logits / temperature
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


def dense(grads, weights) -> List[tf.Tensor]:
    """Gradients as float32 tensors, zeros where a weight does not reach the loss."""
    return [tf.zeros(w.shape, tf.float32) if g is None else tf.cast(tf.convert_to_tensor(g), tf.float32)
            for g, w in zip(grads, weights)]


@TracedOnReuse
def loss_gradients(model, weights, x, y, temperature: float = 1.0) -> List[tf.Tensor]:
    """d(mean cross-entropy)/dw on one batch, BatchNorm in training mode as in the references."""
    with tf.GradientTape() as tape:
        loss = cross_entropy(model, x, y, temperature)
    return dense(tape.gradient(loss, weights), weights)


def times_weights(weights, tensors, absolute: bool = False) -> List[np.ndarray]:
    """w * t (|w * t| with `absolute`) per weight in float32, computed in TensorFlow on every core and read
    without a copy: over VGG19's 20 M weights, NumPy's copies and single-threaded passes cost a tenth of a
    forward+backward pass."""
    products = [tf.cast(w, tf.float32) * tf.cast(t, tf.float32) for w, t in zip(weights, tensors)]
    return [np.asarray(tf.abs(p) if absolute else p) for p in products]


def values(weights) -> List[np.ndarray]:
    """The weights' current values as float32 arrays (an AutoCastVariable reads as its float32 value)."""
    return [np.asarray(w.numpy(), np.float32) for w in weights]


@TracedOnReuse
def hessian_gradient_product(model, weights, x1, y1, x2, y2, temperature: float = 1.0):
    """Hg = sum over the halves of d<stop_gradient(g), dL_half/dw>/dw with g = sum of the halves' dL/dw.

    One forward and backward pass per half gives both g and the halves' gradients; since g is a
    constant, the sum over the halves is one second backward pass of <g, dL_1/dw + dL_2/dw>."""
    with tf.GradientTape() as outer:
        halves = []
        for hx, hy in ((x1, y1), (x2, y2)):
            with tf.GradientTape() as inner:
                loss = cross_entropy(model, hx, hy, temperature)
            halves.append(dense(inner.gradient(loss, weights), weights))
        g = [tf.stop_gradient(a + b) for a, b in zip(*halves)]
        z = tf.add_n([tf.reduce_sum(gi * (a + b)) for gi, a, b in zip(g, *halves)])
    return dense(outer.gradient(z, weights), weights)


def fisher_diagonal(model, weights, x, y):
    """Mean over examples of (d loss_i / dw)^2, one float32 array per weight."""

    def add_example(i, sums):
        with tf.GradientTape() as tape:
            loss = cross_entropy(model, xs[i][None], ys[i][None], training=False)
        grads = dense(tape.gradient(loss, weights), weights)
        return i + 1, [s + tf.square(g) for s, g in zip(sums, grads)]

    @tf.function(autograph=False)
    def summed():
        zeros = [tf.zeros(w.shape, tf.float32) for w in weights]
        return tf.while_loop(lambda i, _: i < len(y), add_example, (tf.constant(0), zeros))[1]

    xs, ys = tf.constant(x), tf.constant(y)
    return [s.numpy() / len(y) for s in summed()]


def _in_float64(model) -> bool:
    return model.input.dtype == tf.float64 and all(w.dtype == tf.float64 or not w.dtype.is_floating
                                                   for w in model.weights)


class _Float64Copy:
    """A float64 model to score (the model itself when it is float64 throughout, else a clone) and its
    traced steps (each holding no reference to the model, which keys a weak cache)."""

    def __init__(self, model):
        shape = model.input_shape
        if not isinstance(shape, tuple) or any(d is None for d in shape[1:]):
            raise TicketsError(f"synflow needs a model with one input of fixed shape, got {shape}")
        if _in_float64(model):
            self._clone, self._model = None, weakref.ref(model)  # weak: the model keys the cache holding this
        else:
            self._clone = blank_clone(model, "float64")
        ours, theirs = model.weights, self.clone.weights
        assert [tuple(v.shape) for v in ours] == [tuple(v.shape) for v in theirs], "clone reordered weights"
        self._ones = tf.ones((1,) + tuple(shape[1:]), tf.float64)
        self._steps = {}  # (what, positions) -> traced function

    @property
    def clone(self):
        return self._clone if self._clone is not None else self._model()

    def _traced(self, what, positions, make):
        key = (what, tuple(positions))
        if key not in self._steps:
            self._steps[key] = make([self.clone.weights[i] for i in positions])
        return self._steps[key]

    def _fill(self, weights):
        """The clone's weights := |the model's| (float64; integer variables as they are)."""
        for mine, theirs in zip(self.clone.weights, weights):
            value = tf.cast(theirs, tf.float64)
            mine.assign(tf.abs(value) if theirs.dtype.is_floating else value)

    def _gradients(self, scored):
        """dR/dw of the clone's `scored` weights, zeros where a weight does not reach R."""
        with tf.GradientTape() as tape:
            r = tf.reduce_sum(tf.cast(self.clone(self._ones, training=False), tf.float64))
        return [tf.zeros_like(w) if g is None else tf.convert_to_tensor(g)
                for w, g in zip(scored, tape.gradient(r, scored))]

    def scores(self, model, positions):
        """|w * dR/dw| of model.weights[i] for i in positions, after the |.| of every float weight: one
        traced step, so no weight passes through NumPy between rounds."""
        def make(scored):
            @tf.function(autograph=False)
            def flow(weights):
                self._fill(weights)
                return [tf.abs(w * g) for w, g in zip(scored, self._gradients(scored))]
            return flow

        # np.asarray shares the tensors' memory; .numpy() would copy 160 MB of float64 per round on VGG19.
        return [np.asarray(s) for s in self._traced("scores", positions, make)(model.weights)]

    def fill(self, model):
        """The clone's weights := |the model's|, eagerly: a few ops a weight, once per scoring, cost less
        than tracing them."""
        self._fill(model.weights)

    def gradients(self, positions):
        """(dR/dw of the clone's weights at `positions`, as it stands, flat; and whether all are finite)."""
        def make(scored):
            @tf.function(autograph=False)
            def step():
                grads = self._gradients(scored)
                return grads, tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
            return step

        grads, finite = self._traced("gradients", positions, make)()
        return [np.asarray(g).ravel() for g in grads], bool(finite)

    def zero(self, positions, pruned):
        """Sets the clone's weights at `positions` to zero at the flat indices `pruned` (one array each)."""
        def make(scored):
            @tf.function(autograph=False, input_signature=[[tf.TensorSpec([None], tf.int64) for _ in scored]])
            def zero(pruned):
                for w, flat in zip(scored, pruned):
                    # Flat to n-d indices by hand: tf.unravel_index refuses an empty list (a layer that
                    # loses nothing in a round).
                    shape = w.shape.as_list()
                    strides = np.cumprod([1] + shape[:0:-1])[::-1].tolist()
                    at = tf.stack([flat // stride % size for stride, size in zip(strides, shape)], axis=1)
                    w.scatter_nd_update(at, tf.zeros(tf.shape(flat), w.dtype))
            return zero

        self._traced("zero", positions, make)([tf.convert_to_tensor(p.astype(np.int64)) for p in pruned])

    def magnitudes(self, positions):
        """The clone's weights at `positions`, flat, as NumPy float64 arrays."""
        return [self.clone.weights[i].numpy().ravel() for i in positions]


class SurvivorRounds:
    """SynFlow's rounds over the survivors alone. The clone takes |w| once; each round computes dR/dw (the
    one full pass), scores the survivors only (their |w| kept in NumPy), and `keep` zeroes in the clone
    just the weights that round pruned."""

    def __init__(self, copy, model, positions):
        self._copy, self._positions = copy, positions
        copy.fill(model)
        self._magnitudes = copy.magnitudes(positions)  # |w| of the survivors
        self._finite = all(np.isfinite(m).all() for m in self._magnitudes)
        # int32 where it fits: half the memory traffic of int64 in the per-round take() and compress().
        self.survivors = [np.arange(m.size, dtype=np.int32 if m.size < 2 ** 31 else np.int64)
                          for m in self._magnitudes]

    def scores(self):
        """(|w * dR/dw| of the survivors, as `Criterion.score` gives them under the matching masks; and
        whether they decide the round: every other weight scores exactly zero and no score is NaN, which
        holds when every weight and gradient is finite (0 * inf is not zero, inf * 0 is NaN))."""
        grads, finite = self._copy.gradients(self._positions)
        scores = []
        for magnitude, grad, kept in zip(self._magnitudes, grads, self.survivors):
            score = grad.take(kept) if kept.size < grad.size else grad.copy()
            np.multiply(score, magnitude, out=score)
            scores.append(np.abs(score, out=score))
        return scores, finite and self._finite

    def keep(self, kept):
        """Keeps the survivors where `kept` (per weight, booleans over its survivors); the rest become zero."""
        self._copy.zero(self._positions, [np.compress(~k, index) for index, k in zip(self.survivors, kept)])
        self.survivors = [np.compress(k, index) for index, k in zip(self.survivors, kept)]
        self._magnitudes = [np.compress(k, m) for m, k in zip(self._magnitudes, kept)]


_FLOAT64: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> _Float64Copy, kept across rounds


def _float64_copy(model, weights):
    """The model's float64 copy (made on first use) and the weights' positions in model.weights."""
    copy = _FLOAT64.get(model)
    if copy is None:
        copy = _FLOAT64[model] = _Float64Copy(model)
    index = {id(v): i for i, v in enumerate(model.weights)}
    return copy, [index[id(w)] for w in weights]


class TfKeras(Autodiff):
    def input_shape(self, model):
        return tuple(model.input_shape[1:])

    def num_classes(self, model):
        return int(model.output_shape[-1])

    def classifier_kernel(self, model):
        last = [layer for layer in models.prunable_layers(model) if isinstance(layer, keras.layers.Dense)]
        return last[-1].kernel if last else None

    def unreliable_second_order(self, model):
        """Keras's unfused BatchNormalization: its `tf.nn.moments` stops the gradient through the mean."""
        unfused = [layer.name for layer in models.flat_layers(model)
                   if type(layer) is keras.layers.BatchNormalization and not layer.fused]
        return f"Keras's unfused BatchNormalization ({', '.join(unfused)})" if unfused else None

    def values(self, weights):
        return values(weights)

    def assign(self, variable, value):
        variable.assign(value)

    def write_masks(self, weights, masks):
        """The masks cross into TensorFlow as booleans: a float copy of millions of mask values costs more than
        the multiplication."""
        for w, m in zip(weights, masks):
            m = np.asarray(m)
            keep = tf.convert_to_tensor(m if m.dtype == bool else m != 0)
            w.assign(w * tf.cast(keep, w.dtype))

    def times_weights(self, weights, tensors, absolute=False):
        return times_weights(weights, tensors, absolute)

    def loss_gradients(self, model, weights, x, y, temperature=1.0):
        return loss_gradients(model, weights, x, y, temperature=temperature)

    def hessian_gradient_product(self, model, weights, x1, y1, x2, y2, temperature=1.0):
        return hessian_gradient_product(model, weights, x1, y1, x2, y2, temperature=temperature)

    def fisher_diagonal(self, model, weights, x, y):
        return fisher_diagonal(model, weights, x, y)

    def synflow_scores(self, model, weights):
        copy, positions = _float64_copy(model, weights)
        return copy.scores(model, positions)

    def synflow_survivor_rounds(self, model, weights):
        copy, positions = _float64_copy(model, weights)
        return SurvivorRounds(copy, model, positions)


PRIMITIVES = TfKeras()
