"""Our TF-MOT pruning wrapper: TF-MOT's `PruneLowMagnitude` with a pruning object of our own, which differs
from TF-MOT's `Pruning` (0.8.1) in two ways. Both live in these classes, never in TF-MOT's: a model the user
prunes with TF-MOT's `prune_low_magnitude` in the same program runs TF-MOT's own code, tf_tickets imported
or not (tested). `wrap` puts this wrapper on every layer we prune (tickets, and the `gmp` procedure's
gradual pruning alike); TF-MOT's `strip_pruning`, `UpdatePruningStep`, `PruningSummaries` and
`prune_low_magnitude` recognise it by `isinstance`, as they recognise their own.

Masking on the float32 weights. TF-MOT's wrapper sets weight := weight * mask inside the layer's call, and
Keras reads a mixed-precision layer's float32 variables in its compute dtype there (float16, bfloat16). The
product, written back, rounded every weight to half precision at every training step, so an SGD update
smaller than half of half precision's resolution was lost (with bfloat16, any below 0.2-0.4% of the weight;
with float16, 0.02-0.05%): the float32 master weights that mixed precision keeps were gone. A schedule that
prunes during training ranked half-precision magnitudes too. `Pruning` does both with Keras' autocasting
off: the same ops on the float32 values, so under a float32 policy nothing changes.

No mask update traced for a `FixedMask`. TF-MOT's wrapper builds, at every trace of a training step,
`tf.cond(schedule(step)[0], update, no_op)`, where `update` ranks the layer's weights anew (abs, top-k,
threshold, new mask). A `FixedMask` answers a constant False, so the branch never runs, but it was traced,
optimised by Grappler and instantiated all the same: 0.46 of the 0.62 s that tracing a pruned
LeNet-300-100's step took (every ticket here is carried by `FixedMask`s). `Pruning` returns the no-op
that the cond computed; other schedules, and N:M sparsity (which TF-MOT updates at step 1 whatever the
schedule says), keep TF-MOT's op.

The class keeps TF-MOT's name, from which TF-MOT names the wrapped layer (`prune_low_magnitude_<layer>`),
and is registered as `tf_tickets>PruneLowMagnitude`, which saved models name it by (`tf_tickets.load_model`);
a model saved before names TF-MOT's class and loads with TF-MOT's wrapper.
"""
import importlib

from tf_tickets.backend import keras, tf
from tf_tickets.pruning.schedules import FixedMask

_TFMOT_KERAS = "tensorflow_model_optimization.python.core.sparsity.keras"
_pruning_impl = importlib.import_module(_TFMOT_KERAS + ".pruning_impl")
_pruning_wrapper = importlib.import_module(_TFMOT_KERAS + ".pruning_wrapper")
_autocast = importlib.import_module(keras.__name__ + ".src.mixed_precision.autocast_variable")


class Pruning(_pruning_impl.Pruning):
    """TF-MOT's masking and mask updates on the float32 weights; no update traced for a `FixedMask`."""

    def _weight_assign_objs(self):  # weight := weight * mask
        with _autocast.enable_auto_cast_variables(None):
            return super()._weight_assign_objs()

    def conditional_mask_update(self):  # new masks when the schedule says so
        if isinstance(self._pruning_schedule, FixedMask) and not self._sparsity_m_by_n:
            return tf.no_op()
        with _autocast.enable_auto_cast_variables(None):
            return super().conditional_mask_update()


@keras.utils.register_keras_serializable("tf_tickets")
class PruneLowMagnitude(_pruning_wrapper.PruneLowMagnitude):
    """TF-MOT's pruning wrapper whose pruning object is our `Pruning`."""

    def build(self, input_shape):
        super().build(input_shape)  # TF-MOT's variables, and its own pruning object, replaced here
        self.pruning_obj = Pruning(training_step_fn=lambda: self.pruning_step, pruning_vars=self.pruning_vars,
                                   pruning_schedule=self.pruning_schedule, block_size=self.block_size,
                                   block_pooling_type=self.block_pooling_type, sparsity_m_by_n=self.sparsity_m_by_n)
