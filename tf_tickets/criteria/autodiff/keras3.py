"""The criteria's primitives for Keras 3 models, on any backend: the model is run statelessly
(`model.stateless_call`) over the values of its variables, the scored weights' values as the function's
arguments, and each backend differentiates that function with its own autodiff (`keras3_tensorflow`,
`keras3_jax`, `keras3_torch` implement `gradient`, `hessian_vector_product`, `summed_squared_gradients`).

The functions a backend differentiates take every value as an argument (none is read from a variable inside),
so a backend may compile them once per model and weights and call them again with new values: SynFlow's
rounds, SNIP's iterations and GraSP's two passes run one compiled function each under JAX. The compiled
functions live on the model object itself (a weak cache keyed by the model would be kept alive by them).
"""
import contextlib
import functools

import keras
import numpy as np

from tf_tickets.criteria.autodiff.base import Autodiff
from tf_tickets.models import keras3 as k3models
from tf_tickets.models.keras3 import to_numpy


class Keras3(Autodiff):
    """The shared part; backends implement the three differentiations below."""

    backend = ""

    # Differentiation, per backend. `f(values, *args)` returns a scalar; `values` is a list of tensors.
    def gradient(self, f):
        """A function (values, *args) -> df/dvalues (one tensor per value, zeros where f does not depend on it)."""
        raise NotImplementedError

    def hessian_vector_product(self, f):
        """A function (values, vector, *args) -> d<stop_gradient(vector), df/dvalues>/dvalues."""
        raise NotImplementedError

    def summed_squared_gradients(self, f):
        """A function (values, xs, ys, *args) -> sum over i of (df(values, xs[i:i+1], ys[i:i+1], *args)/dvalues)^2."""
        raise NotImplementedError

    def tensor(self, value, dtype=None):
        """A backend tensor of `value`, a NumPy array keeping its dtype (Keras would make float64 float32)."""
        if dtype is None and isinstance(value, np.ndarray):
            dtype = value.dtype.name
        return keras.ops.convert_to_tensor(value, dtype=dtype)

    def float64(self):
        """A context in which float64 variables and computations are float64 (JAX's are float32 by default)."""
        return contextlib.nullcontext()

    def read(self, variable):
        """A variable's current value as a tensor that is no variable (nothing differentiates through it)."""
        return variable.value

    # Model facts and variables.
    def input_shape(self, model):
        return k3models.input_shape(model)

    def num_classes(self, model):
        return k3models.num_classes(model)

    def classifier_kernel(self, model):
        return k3models.classifier_kernel(model)

    def unreliable_second_order(self, model):
        """Keras 3 on TensorFlow takes BatchNorm's moments from `tf.nn.moments` (see
        `tf_tickets.models.keras3.SecondOrderBatchNormalization`); JAX's and PyTorch's are right."""
        if self.backend != "tensorflow":
            return None
        plain = [layer.name for layer in k3models.own_layers(model) if type(layer) is keras.layers.BatchNormalization]
        return f"Keras 3's BatchNormalization on TensorFlow ({', '.join(plain)})" if plain else None

    def values(self, weights):
        return [np.asarray(to_numpy(w), np.float32) for w in weights]

    def _precision_of(self, variables):
        """`float64()` for float64 variables: under JAX, assigning to one outside it makes it float32."""
        return self.float64() if any(np.dtype(v.dtype) == np.float64 for v in variables) else contextlib.nullcontext()

    def assign(self, variable, value):
        with self._precision_of([variable]):
            variable.assign(value)

    def write_masks(self, weights, masks):
        with self._precision_of(weights):
            for w, m in zip(weights, masks):
                w.assign(np.where(np.asarray(m) != 0, to_numpy(w), 0).astype(np.dtype(w.dtype)))

    def times_weights(self, weights, tensors, absolute=False):
        products = [np.asarray(to_numpy(w), np.float32)
                    * np.asarray(to_numpy(t), np.float32) for w, t in zip(weights, tensors)]
        return [np.abs(p) if absolute else p for p in products]

    # The model as a function of values.
    def _state(self, model, weights):
        """(the scored weights' values, every trainable and non-trainable value of the model)."""
        return ([self.read(w) for w in weights], [self.read(v) for v in model.trainable_variables],
                [self.read(v) for v in model.non_trainable_variables])

    def _compiled_for(self, model, weights, key, make):
        """`make()`'s function, made once per model, weights and key (kept on the model, untracked by Keras)."""
        functions = vars(model).get("_tickets_compiled")
        if functions is None:
            functions = {}
            object.__setattr__(model, "_tickets_compiled", functions)
        key = (self.backend, tuple(id(w) for w in weights), key)
        if key not in functions:
            functions[key] = make()
        return functions[key]

    @staticmethod
    def _logits(model, positions, scored, trainable, non_trainable, x, training):
        """The model's output with the scored weights' values in place of theirs."""
        trainable, non_trainable = list(trainable), list(non_trainable)
        for (trainable_side, i), value in zip(positions, scored):
            (trainable if trainable_side else non_trainable)[i] = value
        # As Keras' own trainers: `training` only for a call that takes it (stateless_call calls `call`).
        options = {"training": training} if model._call_has_training_arg else {}
        outputs, _ = model.stateless_call(trainable, non_trainable, x, **options)
        return outputs

    @classmethod
    def _loss(cls, model, positions, temperature, training, scored, trainable, non_trainable, x, y):
        """Mean cross-entropy of logits / temperature, half-precision logits cast to float32 (mixed precision).
        A sum over the batch divided by its size: Keras' `ops.mean` and its cross-entropy compute a float64
        mean in float32 on JAX and PyTorch."""
        logits = cls._logits(model, positions, scored, trainable, non_trainable, x, training)
        if keras.backend.standardize_dtype(logits.dtype) in ("float16", "bfloat16"):
            logits = keras.ops.cast(logits, "float32")
        if temperature != 1.0:
            logits = logits / temperature
        log_probabilities = keras.ops.log_softmax(logits, axis=-1)
        picked = keras.ops.take_along_axis(log_probabilities, keras.ops.expand_dims(y, -1), axis=-1)
        return -keras.ops.sum(picked) / picked.shape[0]

    @staticmethod
    def _positions(model, weights):
        """Where each scored weight sits: (True, i) in the trainable variables, (False, i) in the others."""
        trainable = {id(v): i for i, v in enumerate(model.trainable_variables)}
        others = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
        return [(True, trainable[id(w)]) if id(w) in trainable else (False, others[id(w)]) for w in weights]

    def _loss_function(self, model, weights, temperature, training):
        return functools.partial(self._loss, model, self._positions(model, weights), temperature, training)

    def _labels(self, y):
        return self.tensor(np.asarray(y, np.int32))

    def loss_gradients(self, model, weights, x, y, temperature=1.0):
        scored, trainable, non_trainable = self._state(model, weights)
        run = self._compiled_for(model, weights, ("loss", temperature), lambda: self.gradient(
            self._loss_function(model, weights, temperature, training=True)))
        return run(scored, trainable, non_trainable, self.tensor(x), self._labels(y))

    def hessian_gradient_product(self, model, weights, x1, y1, x2, y2, temperature=1.0):
        def make():
            half = self._loss_function(model, weights, temperature, training=True)

            def both(scored, trainable, non_trainable, x1, y1, x2, y2):  # each half its own forward pass
                return (half(scored, trainable, non_trainable, x1, y1)
                        + half(scored, trainable, non_trainable, x2, y2))
            return self.gradient(both), self.hessian_vector_product(both)

        grad, hvp = self._compiled_for(model, weights, ("hessian", temperature), make)
        scored, trainable, non_trainable = self._state(model, weights)
        batch = (self.tensor(x1), self._labels(y1), self.tensor(x2), self._labels(y2))
        g = grad(scored, trainable, non_trainable, *batch)
        return hvp(scored, g, trainable, non_trainable, *batch)

    def fisher_diagonal(self, model, weights, x, y):
        scored, trainable, non_trainable = self._state(model, weights)
        one = self._loss_function(model, weights, 1.0, training=False)
        run = self._compiled_for(model, weights, ("fisher",), lambda: self.summed_squared_gradients(
            lambda values, xs, ys, trainable, non_trainable: one(values, trainable, non_trainable, xs, ys)))
        sums = run(scored, self.tensor(x), self._labels(y), trainable, non_trainable)
        return [np.asarray(to_numpy(s), np.float32) / len(y) for s in sums]

    def synflow_scores(self, model, weights):
        """On `model` itself when it is float64 throughout (the scoring copy `Pruner` makes), else on a float64
        plain copy made once per model."""
        with self.float64():
            return self._synflow_scores(model, weights)

    def _synflow_scores(self, model, weights):
        if any(np.dtype(v.dtype) != np.float64 for v in model.weights if np.dtype(v.dtype).kind == "f"):
            copy = vars(model).get("_tickets_float64")
            if copy is None:
                copy = k3models.plain_copy(model, type, "float64")
                object.__setattr__(model, "_tickets_float64", copy)
            index = {id(v): i for i, v in enumerate(model.weights)}
            for mine, theirs in zip(copy.weights, model.weights):
                mine.assign(to_numpy(theirs).astype(np.dtype(mine.dtype), copy=False))
            model, weights = copy, [copy.weights[index[id(w)]] for w in weights]
        absolute = [np.abs(v) if np.dtype(v.dtype).kind == "f" else v
                    for v in (to_numpy(v) for v in model.weights)]
        by_id = {id(v): a for v, a in zip(model.weights, absolute)}
        scored = [self.tensor(by_id[id(w)]) for w in weights]
        trainable = [self.tensor(by_id[id(v)]) for v in model.trainable_variables]
        non_trainable = [self.tensor(by_id[id(v)]) for v in model.non_trainable_variables]
        positions = self._positions(model, weights)

        def make():
            def flow(scored, trainable, non_trainable, ones):
                outputs = self._logits(model, positions, scored, trainable, non_trainable, ones, False)
                return keras.ops.sum(keras.ops.cast(outputs, "float64"))
            return self.gradient(flow)

        run = self._compiled_for(model, weights, ("synflow",), make)
        ones = self.tensor(np.ones((1,) + tuple(k3models.input_shape(model)), np.float64))
        grads = run(scored, trainable, non_trainable, ones)
        return [np.abs(np.asarray(to_numpy(g), np.float64) * by_id[id(w)])
                for g, w in zip(grads, weights)]
