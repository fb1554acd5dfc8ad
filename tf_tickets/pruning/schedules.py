"""TF-MOT `PruningSchedule`s that let our criteria decide the masks.

TF-MOT recomputes a wrapped layer's mask by magnitude whenever its schedule says "prune now".
`FixedMask` never says so: the mask that was assigned stays as it is through training (every
ticket here is carried this way; its masks come from our criteria). `OneShot` says so exactly once,
at a given step, with a per-layer target: TF-MOT's own magnitude pruning inside each layer, for users
who want it in their own pipelines. TF-MOT calls a schedule with step 1 first, never 0.
"""
from tf_tickets.backend import keras, tf, tfmot


@keras.utils.register_keras_serializable("tf_tickets")
class FixedMask(tfmot.sparsity.keras.PruningSchedule):
    """Never prunes: keeps the assigned mask."""

    def __call__(self, step):
        return tf.constant(False), tf.constant(0.0)

    def get_config(self):
        return {"class_name": type(self).__name__, "config": {}}


@keras.utils.register_keras_serializable("tf_tickets")
class OneShot(tfmot.sparsity.keras.PruningSchedule):
    """Prunes by magnitude to `target_sparsity` once, at `prune_step` (>= 1), then keeps that mask.

    TF-MOT keeps round(size * (1 - sparsity)) weights, so a target of 1 - k/size keeps exactly k.
    """

    def __init__(self, target_sparsity: float, prune_step: int):
        self._validate_sparsity(target_sparsity, "target_sparsity")
        if prune_step < 1:
            raise ValueError("prune_step must be >= 1 (TF-MOT calls a schedule with step 1 first)")
        self.target_sparsity = float(target_sparsity)
        self.prune_step = int(prune_step)

    def __call__(self, step):
        return (tf.math.equal(tf.cast(step, tf.int64), self.prune_step),
                tf.constant(self.target_sparsity, tf.float32))

    def get_config(self):
        return {"class_name": type(self).__name__,
                "config": {"target_sparsity": self.target_sparsity, "prune_step": self.prune_step}}
