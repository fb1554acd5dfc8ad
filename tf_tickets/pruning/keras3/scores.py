"""Keras 3 layers that carry a mask found by training scores over frozen weights (lottery jackpots, any backend):
the Keras 3 side of `tf_tickets.jackpot`, as `tf_tickets.pruning.scores` is tf_keras'.

A scored layer is its Keras class (`ScoredDense`, `ScoredConv2D`, ...) with two more weights, `kernel_scores`
(trainable) and `kernel_mask` (0/1), and every weight of its own frozen (not trainable, never written). Its
call computes with w * (mask + s - stop_gradient(s)) in place of the kernel, as the masked layers swap in
w * mask (`layers`): the value is w * mask, and the gradient reaching the scores is dL/dw_eff * w, the
straight-through estimator. Which weights the mask keeps is decided after each step
(`tf_tickets.callbacks.restriction`), which reads the scores through `ScoreCarrier`.
"""
import functools
from typing import Dict

import keras

from tf_tickets.models import keras3 as k3models
from tf_tickets.pruning import carriers


class Scored:
    """Mixed in before a Keras Dense/Conv class (see the module's docstring)."""

    def _add_scores(self):
        kernel = k3models.kernel(self)
        own = list(self.weights)
        self._tracker.unlock()  # a built layer's state is locked
        try:
            self.kernel_scores = self.add_weight(name=f"{kernel.name}_scores", shape=tuple(kernel.shape),
                                                 initializer="ones", dtype=kernel.dtype, trainable=True)
            self.kernel_mask = self.add_weight(name=f"{kernel.name}_mask", shape=tuple(kernel.shape),
                                               initializer="ones", dtype=kernel.dtype, trainable=False)
        finally:
            self._tracker.lock()
        for weight in own:  # the pre-trained weights are frozen
            weight.trainable = False

    def _scored_call(self, base, *args, **kwargs):
        attr = k3models.kernel_attr(self)
        kernel = getattr(self, attr)
        value = keras.ops.convert_to_tensor(kernel)  # in the compute dtype under mixed precision
        scores = keras.ops.cast(self.kernel_scores, value.dtype)
        gate = keras.ops.cast(self.kernel_mask, value.dtype) + scores - keras.ops.stop_gradient(scores)
        object.__setattr__(self, attr, value * gate)
        try:
            return base.call(self, *args, **kwargs)
        finally:
            object.__setattr__(self, attr, kernel)


_CLASSES: Dict[type, type] = {}


def scored_class(base: type) -> type:
    """The scored subclass of a prunable Keras class."""
    if base not in _CLASSES:
        def call(self, *args, **kwargs):
            return self._scored_call(base, *args, **kwargs)

        _CLASSES[base] = type(f"Scored{base.__name__}", (Scored, base),
                              {"call": functools.wraps(base.call)(call), "__module__": __name__})
    return _CLASSES[base]


def adopt(layer) -> None:
    """Makes a built prunable layer carry scores and a mask of ones over its frozen weights, in place."""
    layer.__class__ = scored_class(type(layer))
    layer._add_scores()


def plain_class(layer) -> type:
    """The Keras class a layer is, scores aside."""
    return next(c for c in type(layer).__mro__ if c in _CLASSES) if isinstance(layer, Scored) else type(layer)


class ScoreCarrier(carriers.ScoreCarrier):
    def carries(self, layer):
        return isinstance(layer, Scored)

    def masked_weights(self, layer):
        return [(k3models.kernel(layer), layer.kernel_mask)]

    def scores(self, layer):
        return layer.kernel_scores

    def inner(self, layer):
        return layer

    def apply(self, layer):
        """Nothing to write: the mask applies in the forward pass and the weights stay intact."""

    def strip(self, model):
        """A new plain model: each scored layer its own class with kernel * mask; every other weight as it is."""
        layers = [layer for layer in k3models.own_layers(model) if self.carries(layer)]
        masks = {id(k3models.kernel(layer)): layer.kernel_mask for layer in layers}
        hidden = {id(layer.kernel_scores) for layer in layers}
        return k3models.plain_copy(model, plain_class, masks=masks, hidden=hidden)


CARRIER = carriers.register(ScoreCarrier())


def wrap_scores(model, allow, batch_statistics: bool = False):
    """A copy of `model` (same weights) whose layers picked by `allow(layer)` carry scores; every other layer is
    frozen too, and BatchNorm runs on its moving statistics, unless `batch_statistics`: then BatchNorm normalises
    with each batch's statistics and updates its moving ones while searching (as a PyTorch model in train mode
    does), its scale and offset still frozen (Keras 3 uses batch statistics in a trainable BatchNorm layer)."""
    copy = k3models.plain_copy(model, type)
    for layer in k3models.own_layers(copy):
        if allow(layer):
            adopt(layer)
        elif batch_statistics and isinstance(layer, keras.layers.BatchNormalization):
            for weight in layer.trainable_weights:  # gamma and beta
                weight.trainable = False
        else:
            layer.trainable = False
    return copy


def with_statistics_of(model, search_model):
    """A copy of `model` whose BatchNorm moving statistics are the search model's (nothing else differs)."""
    copy = k3models.plain_copy(model, type)
    searched = {layer.name: layer for layer in k3models.own_layers(search_model)}
    for layer in k3models.own_layers(copy):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(searched[layer.name].moving_mean)
            layer.moving_variance.assign(searched[layer.name].moving_variance)
    return copy
