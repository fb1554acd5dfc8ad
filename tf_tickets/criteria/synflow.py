"""`synflow`: Iterative Synaptic Flow Pruning (Tanaka et al. 2020), data-free.

As the reference's `linearize` does to the whole state_dict, every float variable of the model is
replaced by its absolute value: kernels, biases, BatchNorm's gamma and beta and its moving statistics.
The reference scores in eval mode, so BatchNorm runs in inference mode (`training=False`, on the
|moving statistics|). Input: ones of the model's input shape, batch 1; R = sum of the outputs; score
|w * dR/dw|. Products of |w| grow geometrically with depth and overflow float32 in deep nets, so this
runs in float64 and returns float64 scores: on the model itself when it is float64 already (the scoring
copy `Pruner` makes for it, `copy_dtype`), else on a float64 clone kept per model across the rounds;
a model of another dtype is changed only by the masks written into it.

`rounds` (default 100): the caller prunes iteratively, round k to density**(k/rounds), passing the
masks back in; masked weights are zero in the clone, so they score 0. `survivor_rounds` is the same
iteration for a caller that ranks only the survivors (`tf_tickets.pruning.survivors`).
"""
import weakref

import numpy as np

from tf_tickets.backend import tf
from tf_tickets.criteria.base import CRITERIA, Criterion, check_weights, positive_int
from tf_tickets.errors import TicketsError
from tf_tickets.models.common import blank_clone


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


@CRITERIA.register("synflow")
class Synflow(Criterion):
    name = "synflow"
    defaults = {"rounds": 100}
    copy_dtype = "float64"

    def _configure(self, rounds):
        self.rounds = positive_int("rounds", rounds)
        self._copies = weakref.WeakKeyDictionary()  # model -> _Float64Copy, reused across the rounds

    def _score(self, model, weights, batch, seed):
        copy, positions = self._copy(model, weights)
        return copy.scores(model, positions)

    def survivor_rounds(self, model, weights) -> SurvivorRounds:
        """The rounds over the survivors of `weights`, all of which survive at first (the model's weights
        as they are now)."""
        copy, positions = self._copy(model, check_weights(model, weights))
        return SurvivorRounds(copy, model, positions)

    def _copy(self, model, weights):
        """The model's float64 copy (made on first use) and the weights' positions in model.weights."""
        copy = self._copies.get(model)
        if copy is None:
            copy = self._copies[model] = _Float64Copy(model)
        index = {id(v): i for i, v in enumerate(model.weights)}
        return copy, [index[id(w)] for w in weights]
