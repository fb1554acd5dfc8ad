"""A layer that carries a mask found by training scores, over frozen weights (lottery jackpots).

`ScoreMask` wraps a Conv/Dense layer whose weights stay exactly as they are (not trainable, never
written). Each weight gets a trainable score and a 0/1 mask; the forward pass uses
w * (mask + s - stop_gradient(s)): the value is w * mask, and the gradient reaching the scores is
dL/ds = dL/dw_eff * w, the straight-through estimator of Zhang et al. Which weights the mask keeps is
decided outside, after each step (`tf_tickets.callbacks.restriction`). TF-MOT's wrapper could not do
this: it writes w * mask back into the weights, so a weight pruned once could never come back.

`ScoreCarrier` makes these layers carry masks like TF-MOT's wrapper does, so reports, collapse checks
and mask files work on a search model too. This is the tf_keras side of `tf_tickets.jackpot`; Keras 3's is
`tf_tickets.pruning.keras3.scores`, with the same functions (`wrap_scores`, `with_statistics_of`).
"""
from tf_tickets.backend import keras, tf
from tf_tickets.pruning import carrier, carriers


@keras.utils.register_keras_serializable("tf_tickets")
class ScoreMask(keras.layers.Wrapper):
    def build(self, input_shape):
        super().build(input_shape)
        kernel = self.layer.kernel
        self.scores = self.add_weight(name="scores", shape=kernel.shape, initializer="ones", trainable=True)
        self.mask = self.add_weight(name="mask", shape=kernel.shape, initializer="ones", trainable=False)
        self.layer.trainable = False  # the pre-trained weights are frozen

    def call(self, inputs, training=None):
        kernel, scores = self.layer.kernel, self.scores
        # Swap the effective kernel in for the wrapped layer's own call (as TF-MOT's QuantizeWrapper does).
        self.layer.kernel = kernel * (self.mask + scores - tf.stop_gradient(scores))
        try:
            return self.layer.call(inputs)
        finally:
            self.layer.kernel = kernel

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


class ScoreCarrier(carriers.ScoreCarrier):
    def carries(self, layer):
        return isinstance(layer, ScoreMask)

    def scores(self, layer):
        return layer.scores

    def masked_weights(self, layer):
        return [(layer.layer.kernel, layer.mask)]

    def inner(self, layer):
        return layer.layer

    def apply(self, layer):
        """Nothing to write: the mask applies in the forward pass and the weights stay intact."""

    def strip(self, model):
        """A plain copy: each wrapped layer's own layer with kernel * mask; every other weight as it is."""
        fresh = lambda layer: layer.__class__.from_config(layer.get_config())  # noqa: E731
        plain = keras.models.clone_model(model, clone_function=lambda layer: fresh(self.inner(layer))
                                         if self.carries(layer) else fresh(layer))
        for layer in model.layers:
            inner = self.inner(layer) if self.carries(layer) else layer
            values = {_short(w): w.numpy() for w in inner.weights}
            if self.carries(layer):
                values["kernel"] = values["kernel"] * layer.mask.numpy()
            target = plain.get_layer(inner.name)
            target.set_weights([values[_short(w)] for w in target.weights])
        return plain


def _short(weight) -> str:
    """A weight's name inside its layer ("kernel", "moving_mean", ...)."""
    return weight.name.split("/")[-1].split(":")[0]


carrier.register(ScoreCarrier())


def wrap_scores(model, allow, batch_statistics: bool = False) -> keras.Model:
    """A copy of `model` (same weights) whose layers picked by `allow(layer)` carry scores; every other
    layer is frozen too, and BatchNorm runs on its moving statistics, unless `batch_statistics`: then
    BatchNorm normalises with each batch's statistics and updates its moving ones while searching (as a
    PyTorch model in train mode does), its scale and offset still frozen."""
    source = keras.models.clone_model(model)
    source.set_weights(model.get_weights())
    # Each wrapper computes in its layer's dtype, as TF-MOT's do (`wrapping.py`): under mixed precision a
    # float32 classifier stays float32, its scores and mask too.
    wrapped = keras.models.clone_model(
        source, clone_function=lambda layer: ScoreMask(layer, dtype=layer.dtype_policy) if allow(layer) else layer)
    for layer in wrapped.layers:
        if isinstance(layer, ScoreMask):
            continue
        if batch_statistics and isinstance(layer, keras.layers.BatchNormalization):
            freeze_affine(layer)
        else:
            layer.trainable = False
    return wrapped


def freeze_affine(layer) -> None:
    """Keeps a BatchNorm layer in training mode (batch statistics, moving ones updated) while its scale and
    offset get no gradient: Keras has no switch for that, so they move to the layer's frozen weights."""
    for weight in (layer.gamma, layer.beta):
        if weight is not None and any(weight is w for w in layer._trainable_weights):
            layer._trainable_weights = [w for w in layer._trainable_weights if w is not weight]
            layer._non_trainable_weights.append(weight)


def with_statistics_of(model, search_model) -> keras.Model:
    """A copy of `model` whose BatchNorm moving statistics are the search model's (nothing else differs)."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in copy.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            searched = search_model.get_layer(layer.name)
            layer.moving_mean.assign(searched.moving_mean)
            layer.moving_variance.assign(searched.moving_variance)
    return copy
