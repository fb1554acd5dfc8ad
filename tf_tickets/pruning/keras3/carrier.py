"""Keras 3 layers that carry their own masks (`layers.Masked`) as a `MaskCarrier`: targets, reports, mask
files, rewinding and the mask checks reach them as they reach TF-MOT's wrappers."""
import keras

from tf_tickets.models import keras3 as k3models
from tf_tickets.pruning import carriers
from tf_tickets.pruning.keras3 import layers


class Keras3Carrier(carriers.MaskCarrier):
    def carries(self, layer):
        return layers.is_masked(layer)

    def masked_weights(self, layer):
        return [(k3models.kernel(layer), layer.kernel_mask)]

    def inner(self, layer):
        return layer  # the layer is its own: no wrapper

    def apply(self, layer):
        kernel = k3models.kernel(layer)
        kernel.assign(keras.ops.multiply(kernel, keras.ops.cast(layer.kernel_mask, kernel.dtype)))

    def strip(self, model):
        """A new plain model (Keras' own classes), masked weights exactly 0; `model` keeps its masks."""
        masks = {id(weight): mask for layer in k3models.own_layers(model) if self.carries(layer)
                 for weight, mask in self.masked_weights(layer)}
        return k3models.plain_copy(model, layers.plain_class, masks=masks)


CARRIER = carriers.register(Keras3Carrier())
