"""No mask-update branch in the traced step of a layer whose schedule is a `FixedMask`.

TF-MOT's wrapper builds, at every trace of a training step, `tf.cond(schedule(step)[0], update, no_op)`
where `update` ranks the layer's weights anew (abs, top-k, threshold, new mask). A `FixedMask` answers a
constant False, so the branch never runs, but it was traced, optimised by Grappler and instantiated all
the same: 0.46 of the 0.62 s that tracing a pruned LeNet-300-100's step took (every ticket here is
carried by `FixedMask`s). Here TF-MOT's `Pruning.conditional_mask_update` (0.8.1) returns a no-op for a
`FixedMask`, which is what the cond computed; other schedules, and N:M sparsity (which TF-MOT updates at
step 1 whatever the schedule says), keep TF-MOT's op. Installed once, for the whole process, when
`tf_tickets.pruning` is imported.
"""
import functools
import importlib

from tf_tickets.backend import tf
from tf_tickets.pruning.schedules import FixedMask

_pruning_impl = importlib.import_module("tensorflow_model_optimization.python.core.sparsity.keras.pruning_impl")


def _skipping_fixed_masks(method):
    @functools.wraps(method)
    def conditional_mask_update(self):
        if isinstance(self._pruning_schedule, FixedMask) and not self._sparsity_m_by_n:
            return tf.no_op()
        return method(self)

    conditional_mask_update.skips_fixed_masks = True
    return conditional_mask_update


def install() -> None:
    method = _pruning_impl.Pruning.conditional_mask_update
    if not getattr(method, "skips_fixed_masks", False):
        _pruning_impl.Pruning.conditional_mask_update = _skipping_fixed_masks(method)


install()
