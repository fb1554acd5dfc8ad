"""Criterion scores -> layer budget -> masks carried by the model: `prune` and what it is made of.

The same for tf_keras models (masks in TF-MOT wrappers) and Keras 3 models on any backend (masks in their
own layers): what differs, the copy criteria score and the carrier, comes from the model's stack
(`tf_tickets.pruning.stacks`), so nothing here imports a framework.
"""
import dataclasses
from typing import Dict, Optional

import numpy as np

from tf_tickets import budgets, criteria, deprecation
from tf_tickets.errors import TicketsError
from tf_tickets import masks as mask_ops
from tf_tickets.pruning import collapse, stacks, survivors
from tf_tickets.pruning.carriers import assign_masks, targets, weight_attr
from tf_tickets.pruning.weights import restore


@dataclasses.dataclass
class Pruner:
    """A criterion under a budget: computes masks for a wrapped model's current weights.

    Scores are computed on an independent copy, so scoring (BatchNorm in training mode, GraSP's
    re-initialised classifier, SynFlow's |w|) leaves the model itself untouched.
    """

    criterion: str = "magnitude"
    sparsity: float = 0.9
    budget: str = "global"
    seed: int = 0
    criterion_options: Optional[dict] = None
    budget_options: Optional[dict] = None
    per_class: int = 10
    invert: bool = False  # keep the lowest-scoring weights instead (the score-inversion sanity check)
    on_collapse: str = "warn"  # how a layer scored all zero or not finite is reported: warn, raise, ignore
    block: int = 0  # > 1: Dense and 1x1-conv kernels keep whole 1 x block blocks (TFLite runs them sparse)
    score_batches: int = 1  # class-balanced batches the gradient criteria see (`per_class` examples of each class each)

    def __post_init__(self):
        if not 0 <= self.sparsity < 1:
            raise TicketsError(f"sparsity must be in [0, 1), got {self.sparsity}")
        if self.block < 0 or self.block == 1:
            raise TicketsError(f"block must be 0 (unstructured) or at least 2, got {self.block}")
        self.score_batches = criteria.base.positive_int("score_batches", self.score_batches)
        self.scorer = criteria.make(self.criterion, **(self.criterion_options or {}))
        if self.score_batches > 1 and hasattr(self.scorer, "iterations"):
            # SNIP and the blend sum their gradient over passes of one class-balanced batch each (the
            # reference's iterations): more batches, more passes of the same size.
            self.scorer.iterations *= self.score_batches
        self.layer_budget = budgets.make(self.budget, **(self.budget_options or {}))

    def batch(self, model, data):
        """The class-balanced scoring data (None for data-free criteria): `score_batches` batches of
        `per_class` examples of each class, as one array ordered by class."""
        if not self.scorer.needs_data:
            return None
        if data is None:
            raise TicketsError(f"{self.criterion} needs data: pass data=... (a tf.data.Dataset or an iterable of (x, y) "
                               "batches, or (x, y) arrays)")
        return criteria.class_balanced_batch(data, stacks.of(model).num_classes(model),
                                             self.per_class * self.score_batches)

    def masks(self, wrapped, data=None, batch=None, within: Optional[Dict[str, np.ndarray]] = None,
              weights: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, np.ndarray]:
        """Masks for the wrapped model's current weights, or for `weights` (a snapshot, e.g. trained
        weights) when given; with `within` (earlier masks, as in iterative magnitude pruning; their layers
        matched by name or position, `masks.match_layers`), only weights those masks kept can be kept. The
        model itself is not changed. The masks are 0/1 float32 arrays, read-only where TensorFlow made them
        (`np.array(mask)` gives one to change)."""
        setup = self._setup(wrapped, data, batch, weights)
        if within is not None:
            within = mask_ops.align(within, {i.name: mask_ops.Slot(tuple(i.shape), i.kind) for i in setup.infos},
                                    ("the model", "the earlier masks"))
        density = 1.0 - self.sparsity
        current, done = None, 0
        rounds = self.scorer.rounds
        if within is None and survivors.applies(self):
            current, done = survivors.rounds(setup, density, rounds)
        for step in range(done + 1, rounds + 1):
            scores = setup.score(current)
            if within is not None:
                scores = [np.where(within[k] > 0, s, -np.inf) for k, s in zip(setup.keys, scores)]
            current = setup.top_k(scores, density ** (step / rounds))
        return dict(zip(setup.keys, current))

    def ranking(self, wrapped, data=None, batch=None, weights: Optional[Dict[str, np.ndarray]] = None) -> "Ranking":
        """The criterion's scores, once, for masks at any density (`Ranking.masks(density)`): how siblings'
        masks are searched for the density that makes their union or intersection hit a sparsity.
        Criteria that re-score with the masks they make (SynFlow's rounds) have no single ranking."""
        if self.scorer.rounds != 1:
            raise TicketsError(f"{self.criterion} scores in {self.scorer.rounds} rounds: it has no single ranking")
        setup = self._setup(wrapped, data, batch, weights)
        return Ranking(setup, setup.score(None))

    def _setup(self, wrapped, data, batch, weights) -> "_Scoring":
        found = targets(wrapped)
        stack = stacks.of(wrapped)
        scoring = stack.scoring_copy(wrapped, self.scorer.copy_dtype, self.scorer.second_order)
        if weights is not None:
            restore(scoring, weights)
        by_name = {layer.name: layer for layer in stack.layers(scoring)}
        variables = [_same_variable(by_name[t.layer.name], t.attr) for t in found]
        infos = [budgets.LayerInfo(t.key, tuple(t.weight.shape), t.kind) for t in found]
        batch = batch if batch is not None else self.batch(wrapped, data)
        return _Scoring(self, found, scoring, variables, infos, stack.is_residual(scoring), batch, stack)

    def check_scores(self, found, scores, finite: bool = False) -> None:
        """A layer whose scores are all zero (or not finite) ranks nothing: say so by name. `finite`: the
        caller already knows every score is finite (spares a pass over them)."""
        bad = [] if finite else [t.key for t, s in zip(found, scores) if not np.all(np.isfinite(s))]
        if bad:
            collapse.report(f"{self.criterion} gave non-finite scores in {', '.join(bad)}: its masks there are "
                            "arbitrary", self.on_collapse)
        # An empty array counts too: a layer with no survivors left (`survivors.rounds`).
        flat = [t.key for t, s in zip(found, scores) if not s.any()]
        if flat:
            collapse.report(f"{self.criterion} scored every weight zero in {', '.join(flat)}: its masks there "
                            "are arbitrary (ties)", self.on_collapse)


@dataclasses.dataclass
class _Scoring:
    """What scoring one model needs, set up once: its prunable kernels on an independent copy."""

    pruner: Pruner
    found: list
    model: object
    variables: list
    infos: list
    residual: bool
    batch: object
    stack: stacks.Stack

    @property
    def keys(self):
        return [t.key for t in self.found]

    def score(self, current):
        pruner = self.pruner
        scores = pruner.scorer.score(self.model, self.variables, batch=self.batch, masks=current, seed=pruner.seed)
        scores = [mask_ops.as_scores(s) for s in scores]
        pruner.check_scores(self.found, scores)
        return [-s for s in scores] if pruner.invert else scores

    def top_k(self, scores, density: float):
        budget, block = self.pruner.layer_budget, self.pruner.block
        if not block:
            return self.stack.float_masks(budget.kept(self.infos, density, scores, residual=self.residual))
        counts = budget.keep_counts(self.infos, density, scores, residual=self.residual)
        return [mask_ops.block_top_k(s, c, block) if mask_ops.blockable(info.shape) else mask_ops.top_k([s], [c])[0]
                for s, c, info in zip(scores, counts, self.infos)]


@dataclasses.dataclass
class Ranking:
    """One model's scores under a criterion and budget: masks at any density without scoring again."""

    setup: _Scoring
    scores: list

    def masks(self, density: float) -> Dict[str, np.ndarray]:
        return dict(zip(self.setup.keys, self.setup.top_k(self.scores, density)))

    def by_key(self) -> Dict[str, np.ndarray]:
        return dict(zip(self.setup.keys, self.scores))


def _same_variable(layer, attr):
    for weight in layer.weights:
        if weight_attr(weight) == attr:
            return weight
    raise AssertionError(f"{layer.name} has no weight {attr}")


def prune(model, criterion: str = "magnitude", sparsity: float = 0.9, data=None, budget: str = "global",
          seed: int = 0, policy="conv_dense", criterion_options: Optional[dict] = None,
          budget_options: Optional[dict] = None, masks: Optional[Dict[str, np.ndarray]] = None,
          method: Optional[str] = None, method_options: Optional[dict] = None, on_collapse: str = "warn",
          block: int = 0, score_batches: int = 1):
    """A new model carrying masks; `model` itself is left untouched. A tf_keras model's prunable layers get
    TF-MOT's pruning wrappers; a Keras 3 model's (Functional, Sequential or subclassed, any backend) carry
    their masks themselves (`tf_tickets.pruning.keras3`).

    `criterion` scores weights (`tf_tickets.criteria`: random, magnitude, snip, grasp, synflow, obd,
    magnitude_gradient), `budget` turns `sparsity` into per-layer counts (`tf_tickets.budgets`:
    global, layerwise, smart_ratio, erk, custom); data-dependent criteria draw a class-balanced
    batch from `data`. Given `masks` ({layer name: 0/1 array}, e.g. from a mask file), those are
    used instead. `method`/`method_options`, the older names of `criterion`/`criterion_options`, still work.
    Layers left without any weight are reported by name (`on_collapse`: "warn", "raise" or "ignore"),
    and whether the network is still connected (`tf_tickets.pruning.collapse`). `block` > 1: Dense and
    1x1-conv kernels keep whole blocks of `block` consecutive inputs (4 for float TFLite, 16 for int8), the
    structure LiteRT runs sparse. `score_batches` > 1: data-dependent criteria see that many class-balanced
    batches (SNIP and the blend sum their gradient over one pass of each; GraSP's halves and OBD's Fisher grow
    with them). Train a tf_keras result with `model.fit(..., callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])`,
    a Keras 3 one with plain `model.fit`.
    """
    if method is not None or method_options is not None:
        deprecation.note("prune(method=, method_options=)", "criterion=, criterion_options=")
    stack = stacks.of(model)
    stack.check_model(model)
    if on_collapse not in collapse.POLICIES:
        raise TicketsError(f"on_collapse must be one of {', '.join(collapse.POLICIES)}, got {on_collapse!r}")
    pruner = None if masks is not None else Pruner(method or criterion, sparsity, budget, seed,
                                                   method_options or criterion_options, budget_options,
                                                   on_collapse=on_collapse, block=block, score_batches=score_batches)
    wrapped = stack.wrap(model, policy)
    assign_masks(wrapped, masks if masks is not None else pruner.masks(wrapped, data))
    collapse.check(wrapped, on_collapse)
    return wrapped
