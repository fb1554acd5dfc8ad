"""`smart_ratio`: Su et al.'s (2020) data-free layer-wise densities for random and hybrid tickets.

Follows docs/methods.md "Smart ratio" step by step, as the reference code does it:
  1. layers l = 1..L in forward order, classifier included in L; raw score s_l = (L-l+1)^2 + (L-l+1)
     (ablations via `schedule`);
  2. VGG-style nets (no residual connections) divide by l^2 (`vgg_factor`);
  3. the classifier (last layer, if Dense) keeps `linear_keep_ratio` of its weights whatever the density;
     hidden Dense layers are scored like conv layers;
  4. G = int(N_total*density) - int(N_classifier*linear_keep_ratio), k = G / sum_other int(N_l*s_l),
     density_l = k*s_l;
  5. the reference's overflow pass: from layer 1 on, a layer at density >= 1 is set to 1 and carries
     int((density-1)*N_l) forward; a later layer absorbs up to int((1-density)*N_l) of the carry (if it
     cannot absorb all, it goes to 1 and the rest carries on); the pass stops as soon as nothing is carried.
Counts are int(density_l*N_l).

The reference's early stop means a layer that overflows after a non-overflowing one is never visited.
With the decreasing schedules (quadratic, linear, cubic, uniform) the first layer has the highest density,
so overflow always starts at layer 1 and this never happens; under the `ascending` ablation the deepest
layers overflow, the pass stops at layer 1, and those densities are clipped to 1 here (the reference
also keeps every weight of such a layer, int(N_l) when density >= 1), so the total falls short of the target.
Arithmetic is float64 (the reference used float32 tensors; a count can differ by one in rare cases).
"""
from typing import List

from tf_tickets.budgets.base import BUDGETS, DensityBudget, has_classifier, is_real, total
from tf_tickets.errors import TicketsError

SCHEDULES = {
    "quadratic": lambda L, l: (L - l + 1) ** 2 + (L - l + 1),
    "linear": lambda L, l: L - l + 1,
    "ascending": lambda L, l: l ** 2 + l,
    "cubic": lambda L, l: (L - l + 1) ** 3,
    "uniform": lambda L, l: 1,
}


def overflow(densities: List[float], sizes: List[int]) -> List[float]:
    """Step 5 of docs/methods.md "Smart ratio", exactly as the reference's loop (including its early stop)."""
    out = list(densities)
    carry = 0
    for i, (d, n) in enumerate(zip(out, sizes)):
        if d >= 1:
            carry += int((d - 1) * n)
            out[i] = 1.0
        else:
            room = int((1 - d) * n)
            if room >= carry:
                out[i] = d + carry / n
                carry = 0
            else:
                carry -= room
                out[i] = 1.0
        if carry == 0:
            break
    return out


@BUDGETS.register("smart_ratio")
class SmartRatioBudget(DensityBudget):
    """Keep more of the early layers (quadratic decay with depth), fixed share for the classifier.

    Options: `schedule` (quadratic | linear | ascending | cubic | uniform), `vgg_factor` ("auto": divide by
    l^2 when `residual` is False, except under the uniform schedule, whose point is one density for every
    layer; True / False force it), `linear_keep_ratio` (classifier's kept fraction, 0.3).
    """

    name = "smart_ratio"
    defaults = {"schedule": "quadratic", "vgg_factor": "auto", "linear_keep_ratio": 0.3}

    def __init__(self, **options):
        super().__init__(**options)
        schedule, vgg, ratio = (self.options[k] for k in ("schedule", "vgg_factor", "linear_keep_ratio"))
        if schedule not in SCHEDULES:
            raise TicketsError(f"smart_ratio schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
        if vgg != "auto" and not isinstance(vgg, bool):
            raise TicketsError(f"smart_ratio vgg_factor must be 'auto', true or false, got {vgg!r}")
        if not is_real(ratio) or not 0 <= ratio <= 1:
            raise TicketsError(f"smart_ratio linear_keep_ratio must be in [0, 1], got {ratio!r}")

    def _densities(self, layers, density, scores, residual):
        schedule, vgg, ratio = (self.options[k] for k in ("schedule", "vgg_factor", "linear_keep_ratio"))
        if vgg == "auto":
            vgg = not residual and schedule != "uniform"
        n_layers = len(layers)
        classifier = has_classifier(layers)
        others = layers[:-1] if classifier else layers
        if not others:
            raise TicketsError("smart_ratio needs at least one layer besides the classifier")
        raw = [SCHEDULES[schedule](n_layers, l) for l in range(1, len(others) + 1)]
        # Divide last, as the reference does: int(N_l*s_l/l^2) is exact where N_l*s_l/l^2 is an integer.
        div = [l ** 2 if vgg else 1 for l in range(1, len(others) + 1)]
        fixed = int(layers[-1].size * ratio) if classifier else 0
        goal = int(total(layers) * density) - fixed
        if goal < 0:
            raise TicketsError(f"density {density:g} is too low for smart_ratio: the classifier alone keeps "
                               f"{fixed} weights (linear_keep_ratio {ratio:g})")
        weighted = sum(int(layer.size * s / q) for layer, s, q in zip(others, raw, div))
        if weighted <= 0:
            raise TicketsError("smart_ratio: layers too small for their scores (sum of int(N_l*s_l) is 0)")
        k = goal / weighted
        dens = overflow([s * k / q for s, q in zip(raw, div)], [layer.size for layer in others])
        dens = [min(d, 1.0) for d in dens]
        return dens + ([float(ratio)] if classifier else [])
