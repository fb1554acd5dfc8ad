"""Which layers carry masks: TF-MOT `PruningPolicy`s, picked by name.

TF-MOT's own `prune_low_magnitude(model)` wraps every layer (BatchNorm and Add included); a policy
wraps only the layers we prune. A user's custom layer takes part by implementing TF-MOT's
`PrunableLayer` (its `get_prunable_weights()` says which weights get masks).
"""

from tf_tickets.backend import keras, tfmot
from tf_tickets.pruning import graph as graph_ops
from tf_tickets.registry import Registry

POLICIES = Registry("pruning policy")

# Layers whose kernel TF-MOT masks (Conv*Transpose subclass Conv*D; of a separable conv it masks the
# pointwise kernel; a DepthwiseConv2D has no weight it masks, so it is left alone).
_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.SeparableConv1D,
         keras.layers.SeparableConv2D)
_PRUNABLE = _CONV + (keras.layers.Dense,)
_NOTHING_TO_MASK = (keras.layers.DepthwiseConv2D,)


def carries_weights(layer) -> bool:
    """A Conv/Dense layer (whose kernel TF-MOT prunes) or a user's PrunableLayer."""
    if isinstance(layer, tfmot.sparsity.keras.PrunableLayer):
        return True
    return isinstance(layer, _PRUNABLE) and not isinstance(layer, _NOTHING_TO_MASK)


def _forward_prunable(model):
    return [layer for layer in model.layers if carries_weights(layer)]


class ConvDense(tfmot.sparsity.keras.PruningPolicy):
    """Every Conv and Dense kernel (the papers' "prunable weights"), and users' PrunableLayers."""

    def __init__(self, model=None):
        self._model = model  # the model being wrapped, to find its first and last prunable layers

    def allow_pruning(self, layer):
        return carries_weights(layer) and self._allowed(layer)

    def _allowed(self, layer) -> bool:
        return True

    def ensure_model_supports_pruning(self, model):
        pass


class SkipFirstConv(ConvDense):
    """Keeps the first conv dense (it holds few weights and every input passes through it)."""

    def _allowed(self, layer):
        first = next((l for l in _forward_prunable(self._model) if isinstance(l, _CONV)), None)
        return layer.name != getattr(first, "name", None)


class SkipClassifier(ConvDense):
    """Keeps the final Dense layer dense (as Su et al.'s one-shot lottery tickets do)."""

    def _allowed(self, layer):
        prunable = _forward_prunable(self._model)
        last = prunable[-1] if prunable and isinstance(prunable[-1], keras.layers.Dense) else None
        return layer.name != getattr(last, "name", None)


class SkipFirstAndClassifier(ConvDense):
    def _allowed(self, layer):
        return SkipFirstConv(self._model)._allowed(layer) and SkipClassifier(self._model)._allowed(layer)


class SkipShortcuts(ConvDense):
    """Keeps 1x1 projection shortcuts dense, as the SynFlow reference does by default: a 1x1 conv whose
    output (through BatchNorm) meets, at an Add, a branch that starts from the conv's own input."""

    def _allowed(self, layer):
        if not hasattr(self, "_shortcuts"):
            self._shortcuts = shortcut_convs(self._model)
        return layer.name not in self._shortcuts


def shortcut_convs(model) -> set:
    kinds = {layer.name: layer for layer in model.layers}
    convs = [layer.name for layer in model.layers
             if isinstance(layer, keras.layers.Conv2D) and tuple(layer.kernel_size) == (1, 1)]
    return graph_ops.shortcuts(graph_ops.inbound(model), convs,
                               lambda name: isinstance(kinds.get(name), keras.layers.BatchNormalization),
                               lambda name: isinstance(kinds.get(name), keras.layers.Add))


class XNNPackSparse(ConvDense):
    """Only 1x1 Conv2D, the layers XNNPack runs sparse (TF-MOT's `PruneForLatencyOnXNNPack` checks the rest)."""

    _tfmot = tfmot.sparsity.keras.PruneForLatencyOnXNNPack()

    def _allowed(self, layer):
        return self._tfmot.allow_pruning(layer)

    def ensure_model_supports_pruning(self, model):
        self._tfmot.ensure_model_supports_pruning(model)


for _name, _cls in [("conv_dense", ConvDense), ("skip_first", SkipFirstConv), ("skip_classifier", SkipClassifier),
                    ("skip_first_and_classifier", SkipFirstAndClassifier), ("skip_shortcuts", SkipShortcuts),
                    ("xnnpack_1x1", XNNPackSparse)]:
    POLICIES.register(_name)(_cls)


def make(name_or_policy, model) -> tfmot.sparsity.keras.PruningPolicy:
    """A policy bound to `model`, from a registered name or a user's PruningPolicy instance."""
    if isinstance(name_or_policy, tfmot.sparsity.keras.PruningPolicy):
        return name_or_policy
    cls, _ = POLICIES.lookup(name_or_policy)
    return cls(model)
