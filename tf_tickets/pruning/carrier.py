"""TF-MOT's pruning wrapper as a mask carrier (tf_keras models).

The carrier interface and the functions over it (`targets`, `assign_masks`, `apply_masks`, `current_masks`,
`strip`, ...) live in `tf_tickets.pruning.carriers`, which imports no framework, so that Keras 3 models on
JAX or PyTorch use them too; they are re-exported here, where tf_keras code has always found them.
"""
from tf_tickets.backend import keras, tf, tfmot
from tf_tickets.errors import TicketsError
from tf_tickets.pruning.carriers import (CARRIERS, MaskCarrier, Target, apply_masks, assign_masks,  # noqa: F401
                                         carrier_of, current_masks, inner_layer, is_wrapped, register, strip,
                                         targets, weight_attr)


class TfmotCarrier(MaskCarrier):
    """TF-MOT's pruning wrapper (`prune_low_magnitude` applied to a layer), and ours, its subclass
    (`tf_tickets.pruning.wrapper`), which `wrap` puts on the layers we prune."""

    def carries(self, layer):
        return isinstance(layer, keras.layers.Wrapper) and hasattr(layer, "pruning_vars")

    def masked_weights(self, layer):
        return [(weight, mask) for weight, mask, _ in layer.pruning_vars]

    def inner(self, layer):
        return layer.layer

    def apply(self, layer):
        layer.pruning_obj.weight_mask_op()

    def strip(self, model):
        return tfmot.sparsity.keras.strip_pruning(model)

    def mask_value(self, target, key, mask):
        # Checked and cast in TensorFlow: NumPy's temporaries the size of the network page-fault (on VGG19,
        # 0.08-0.11 of a forward+backward pass against 0.05 here, profiled in `tf_tickets.prune`).
        value = tf.convert_to_tensor(mask)
        if value.dtype != tf.bool and not bool(tf.reduce_all((value == 0) | (value == 1))):
            raise TicketsError(f"mask {key!r} holds values other than 0 and 1")
        return tf.cast(value, target.mask.dtype)


register(TfmotCarrier())
