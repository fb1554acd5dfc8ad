"""`grasp`: Gradient Signal Preservation (Wang et al. 2020), as Su et al.'s reference code runs it.

On the class-balanced batch split in two halves (first N//2 examples, then the rest), logits / T:
g = sum over the halves of d(mean cross-entropy of the half)/dw (no second order through g);
Hg = sum over the halves of d<stop_gradient(g), dL_half/dw>/dw. The reference's score is S = -w * Hg and
it removes the largest S, so the importance returned here is -S = w * Hg (may be negative). g and Hg
run over the weights passed in (the reference: every Conv and Dense kernel). Each half is its own
forward pass, BatchNorm in training mode.

Its second derivative runs through BatchNorm. `Pruner` (and so `prune` and every run) scores a copy whose
BatchNorm layers are `SecondOrderBatchNormalization`: a closed form, faster than TensorFlow's, and right
where Keras's own unfused layer is not (its `tf.nn.moments` stops the gradient through the mean), which
a model scored directly is warned about. Keras 3 on TensorFlow takes its moments from `tf.nn.moments` too;
its scoring copy's BatchNorm is `tf_tickets.models.keras3.SecondOrderBatchNormalization` (on every backend).

For scoring only, the reference re-initialises the final Dense kernel of its copy (PyTorch's
xavier_normal_: untruncated N(0, 2 / (fan_in + fan_out)), bias untouched); so do we, on the private
copy we are given, from `seed`. That kernel's scores are computed with the re-initialised values.
"""
import warnings

import numpy as np

from tf_tickets.criteria import autodiff
from tf_tickets.criteria.base import CRITERIA, Criterion, real_in
from tf_tickets.errors import TicketsError


def reinitialise_classifier(model, seed: int) -> None:
    """Xavier-normal kernel for the model's last Dense layer (no Dense: nothing to do)."""
    primitives = autodiff.of(model)
    kernel = primitives.classifier_kernel(model)
    if kernel is None:
        return
    fan_in, fan_out = (int(d) for d in kernel.shape)
    std = np.sqrt(2.0 / (fan_in + fan_out))
    primitives.assign(kernel, np.random.default_rng(seed).normal(0.0, std, (fan_in, fan_out)).astype(np.float32))


@CRITERIA.register("grasp")
class Grasp(Criterion):
    name = "grasp"
    needs_data = True
    second_order = True
    defaults = {"temperature": 200.0}

    def _configure(self, temperature):
        self.temperature = real_in("temperature", temperature, 0.0, float("inf"), low_open=True)

    def _prepare(self, model, batch, seed):
        """Re-initialises the classifier of `model` (a private copy) before the masks go in."""
        if len(batch[1]) < 2:
            raise TicketsError(f"grasp splits the batch in two halves: it needs at least 2 examples, got {len(batch[1])}")
        reinitialise_classifier(model, seed)
        unreliable = autodiff.of(model).unreliable_second_order(model)
        if unreliable:
            warnings.warn(f"grasp: {unreliable} has a wrong second derivative: score through tf_tickets.prune or "
                          "Pruner, whose scoring copy replaces it", RuntimeWarning, stacklevel=3)

    def _score(self, model, weights, batch, seed):
        x, y = batch
        half = len(y) // 2
        primitives = autodiff.of(model)
        hg = primitives.hessian_gradient_product(model, weights, x[:half], y[:half], x[half:], y[half:],
                                                 temperature=self.temperature)
        return primitives.times_weights(weights, hg)
