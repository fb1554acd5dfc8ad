"""What every budget shares: the layer description, the argument checks, and the registry.

A budget turns one target density (1 - sparsity) into per-layer keep counts; it never sees TensorFlow,
so the caller describes each prunable kernel as a `LayerInfo`.
"""
import abc
import math
import numbers
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.masks import top_k_kept
from tf_tickets.options import WithOptions
from tf_tickets.registry import Registry

BUDGETS = Registry("budget")

KINDS = ("conv", "dense")


def is_real(value) -> bool:
    """A finite real number that is not a bool (True would silently read as density 1)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class LayerInfo:
    """One prunable kernel: its layer's name, the kernel's shape (e.g. (3, 3, 16, 32) or (512, 10)),
    and whether it is a "conv" or a "dense" kernel (the last dense one is the classifier)."""

    name: str
    shape: Tuple[int, ...]
    kind: str

    def __post_init__(self):
        try:
            shape = tuple(int(d) for d in self.shape)
            ok = len(shape) > 0 and all(d == s and d > 0 for d, s in zip(shape, self.shape))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise TicketsError(f"layer {self.name!r}: shape must be positive integers, got {self.shape!r}")
        if self.kind not in KINDS:
            raise TicketsError(f"layer {self.name!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "shape", shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def has_classifier(layers: Sequence[LayerInfo]) -> bool:
    """The last layer is the classifier when it is Dense (docs/methods.md "Layer order")."""
    return layers[-1].kind == "dense"


def total(layers: Sequence[LayerInfo]) -> int:
    return sum(layer.size for layer in layers)


def check_layers(layers) -> List[LayerInfo]:
    layers = list(layers) if layers is not None else []
    if not layers:
        raise TicketsError("a budget needs at least one prunable layer")
    for layer in layers:
        if not isinstance(layer, LayerInfo):
            raise TicketsError(f"layers must be LayerInfo, got {type(layer).__name__}")
    return layers


def check_density(density) -> float:
    """Density is 1 - sparsity; sparsity must be in [0, 1), so nothing is pruned away entirely."""
    if not is_real(density):
        raise TicketsError(f"density must be a finite number, got {density!r}")
    sparsity = 1.0 - float(density)
    if not 0.0 <= sparsity < 1.0:
        raise TicketsError(f"sparsity must be in [0, 1), got {sparsity:g} (density {float(density):g})")
    return float(density)


class Budget(WithOptions, abc.ABC):
    """Per-layer keep counts for a target density. Subclasses set `name` and `defaults` (their options)
    and implement `_counts`; options are checked once, at construction.

    Every budget also takes `min_density` (default 0: the method as published): no layer keeps less
    than ceil(min_density * size) weights, a remedy for layer collapse. The weights this adds to thin
    layers are taken from the others in proportion to what they keep above the floor, so the total
    stays exactly the budget's.
    """

    kind = "budget"

    def __init__(self, **options):
        floor = options.pop("min_density", 0.0)
        super().__init__(**options)
        if not is_real(floor) or not 0 <= floor <= 1:
            raise TicketsError(f"min_density must be a number in [0, 1], got {floor!r}")
        self.min_density = float(floor)
        if self.min_density:
            self.options["min_density"] = self.min_density

    def keep_counts(self, layers: Sequence[LayerInfo], density: float,
                    scores: Optional[Sequence[np.ndarray]] = None, residual: bool = True) -> List[int]:
        """One int per layer, 0 <= count <= size. `scores` (higher = keep) only matter to `global`;
        `residual=False` means a VGG-style net (only `smart_ratio` cares)."""
        layers = check_layers(layers)
        counts = self._counts(layers, check_density(density), scores, bool(residual))
        counts = [min(max(int(c), 0), layer.size) for c, layer in zip(counts, layers)]
        return with_floor(counts, layers, self.min_density) if self.min_density else counts

    def single_threshold(self) -> bool:
        """True when the masks are every score above one threshold over all layers (`global_threshold`'s
        `threshold_kept` of the total keep count): iterative pruning can then rank the survivors alone."""
        return False

    def masks(self, layers: Sequence[LayerInfo], density: float, scores: Sequence[np.ndarray],
              residual: bool = True) -> List[np.ndarray]:
        """0/1 float32 masks keeping each layer's count of its highest scores (ties: the earlier position)."""
        return [keep.astype(np.float32) for keep in self.kept(layers, density, scores, residual)]

    def kept(self, layers: Sequence[LayerInfo], density: float, scores: Sequence[np.ndarray],
             residual: bool = True) -> List[np.ndarray]:
        """`masks` as booleans: a caller with a faster cast than NumPy's makes the floats itself."""
        return top_k_kept(scores, self.keep_counts(layers, density, scores, residual))

    def densities(self, layers: Sequence[LayerInfo], density: float,
                  scores: Optional[Sequence[np.ndarray]] = None, residual: bool = True) -> List[float]:
        """Per-layer densities, for reports: kept fraction unless the budget has finer floats."""
        layers = check_layers(layers)
        counts = self.keep_counts(layers, density, scores, residual)
        return [c / layer.size for c, layer in zip(counts, layers)]

    @abc.abstractmethod
    def _counts(self, layers: List[LayerInfo], density: float, scores, residual: bool) -> List[int]:
        """Keep counts for checked arguments."""


def with_floor(counts: List[int], layers: Sequence[LayerInfo], min_density: float) -> List[int]:
    """`counts` with every layer raised to ceil(min_density * size), the same total (see `Budget`)."""
    floors = [min(layer.size, math.ceil(min_density * layer.size)) for layer in layers]
    total = sum(counts)
    if sum(floors) > total:
        raise TicketsError(f"min_density {min_density:g} keeps {sum(floors):,} weights, more than the "
                           f"{total:,} the target density allows: lower min_density or the sparsity")
    raised = [max(c, f) for c, f in zip(counts, floors)]
    excess = sum(raised) - total
    spare = np.array([r - f for r, f in zip(raised, floors)], np.float64)
    if excess:
        # Largest-remainder shares of `excess`, in proportion to what each layer keeps above its floor.
        share = spare * excess / spare.sum()
        take = np.floor(share).astype(np.int64)
        rest = int(excess - take.sum())
        take[np.argsort(-(share - take), kind="stable")[:rest]] += 1
        raised = [int(r - t) for r, t in zip(raised, take)]
    return raised


class DensityBudget(Budget):
    """A budget defined by per-layer densities; counts are int(density_l * N_l), as the references do."""

    def densities(self, layers, density, scores=None, residual=True) -> List[float]:
        layers = check_layers(layers)
        return [float(d) for d in self._densities(layers, check_density(density), scores, bool(residual))]

    def _counts(self, layers, density, scores, residual):
        dens = self._densities(layers, density, scores, residual)
        return [layer.size if d >= 1 else int(d * layer.size) for d, layer in zip(dens, layers)]

    @abc.abstractmethod
    def _densities(self, layers: List[LayerInfo], density: float, scores, residual: bool) -> List[float]:
        """Per-layer densities for checked arguments."""
