"""`synflow`: Iterative Synaptic Flow Pruning (Tanaka et al. 2020), data-free.

As the reference's `linearize` does to the whole state_dict, every float variable of the model is
replaced by its absolute value: kernels, biases, BatchNorm's gamma and beta and its moving statistics.
The reference scores in eval mode, so BatchNorm runs in inference mode (`training=False`, on the
|moving statistics|). Input: ones of the model's input shape, batch 1; R = sum of the outputs; score
|w * dR/dw|. Products of |w| grow geometrically with depth and overflow float32 in deep nets, so this
runs on a float64 clone of the model (every layer's dtype float64, kept per model across the rounds)
and returns float64 scores; the model given is changed only by the masks written into it.

`rounds` (default 100): the caller prunes iteratively, round k to density**(k/rounds), passing the
masks back in; masked weights are zero in the clone, so they score 0.
"""
import weakref


from tf_tickets.backend import keras, tf
from tf_tickets.criteria.base import CRITERIA, Criterion, positive_int
from tf_tickets.errors import TicketsError
from tf_tickets.models.common import in_dtype


class _Float64Copy:
    """A float64 clone of a model and a compiled dR/d(every weight) on the all-ones input."""

    def __init__(self, model):
        shape = model.input_shape
        if not isinstance(shape, tuple) or any(d is None for d in shape[1:]):
            raise TicketsError(f"synflow needs a model with one input of fixed shape, got {shape}")
        inputs = keras.Input(shape[1:], dtype="float64", name=model.input_names[0])
        self.clone = keras.models.clone_model(model, input_tensors=inputs, clone_function=in_dtype("float64"))
        ours, theirs = model.weights, self.clone.weights
        assert [tuple(v.shape) for v in ours] == [tuple(v.shape) for v in theirs], "clone reordered weights"
        self._ones = tf.ones((1,) + tuple(shape[1:]), tf.float64)
        self._flows = {}  # positions -> traced function (holding no reference to the model: it keys a weak cache)

    def _flow(self, positions):
        """One traced step: the clone's weights := |the model's| (float64), then |w * dR/dw| at `positions`.
        All of it runs in TensorFlow, so no weight passes through NumPy between rounds."""
        clone, ones = self.clone, self._ones
        scored = [clone.weights[i] for i in positions]

        @tf.function(autograph=False)
        def flow(weights):
            for mine, theirs in zip(clone.weights, weights):
                value = tf.cast(theirs, tf.float64)
                mine.assign(tf.abs(value) if theirs.dtype.is_floating else value)
            with tf.GradientTape() as tape:
                r = tf.reduce_sum(tf.cast(clone(ones, training=False), tf.float64))
            grads = tape.gradient(r, scored)
            return [tf.abs(w * (tf.zeros_like(w) if g is None else tf.convert_to_tensor(g)))
                    for w, g in zip(scored, grads)]

        return flow

    def scores(self, model, positions):
        """|w * dR/dw| of model.weights[i] for i in positions, after the |.| of every float weight."""
        key = tuple(positions)
        if key not in self._flows:
            self._flows[key] = self._flow(positions)
        return [s.numpy() for s in self._flows[key](model.weights)]


@CRITERIA.register("synflow")
class Synflow(Criterion):
    name = "synflow"
    defaults = {"rounds": 100}

    def _configure(self, rounds):
        self.rounds = positive_int("rounds", rounds)
        self._copies = weakref.WeakKeyDictionary()  # model -> _Float64Copy, reused across the rounds

    def _score(self, model, weights, batch, seed):
        copy = self._copies.get(model)
        if copy is None:
            copy = self._copies[model] = _Float64Copy(model)
        index = {id(v): i for i, v in enumerate(model.weights)}
        return copy.scores(model, [index[id(w)] for w in weights])
