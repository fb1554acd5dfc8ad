"""Putting our TF-MOT pruning wrapper (`tf_tickets.pruning.wrapper`: TF-MOT's, masking the float32 weights
under mixed precision and tracing no mask update for a `FixedMask`) on the layers a policy picks, on a copy
of the user's model.

TF-MOT's wrapper reuses the layer it wraps, so wrapping the caller's model in place would let our
masks zero the caller's weights. Everything here works on a copy: each layer made anew from its config,
with its weights, and wrapped where the policy picks it, in one clone of the model. Keras's layers are
built from zeros and their weights copied in variable to variable: drawing initializers that are
overwritten at once, and a round trip through NumPy, were most of wrapping VGG19 (0.40-0.61 s, now
0.22-0.25 s here).
"""
from typing import Callable, Optional


from tf_tickets.backend import keras
from tf_tickets.errors import TicketsError
from tf_tickets.models import flat_layers
from tf_tickets.models.common import BlankCopy
from tf_tickets.pruning import policies
from tf_tickets.pruning.carrier import is_wrapped
from tf_tickets.pruning.schedules import FixedMask
from tf_tickets.pruning.wrapper import PruneLowMagnitude


def check_model(model) -> None:
    """One-line errors for models TF-MOT cannot wrap."""
    if not isinstance(model, keras.Model):
        kind = type(model).__module__.split(".")[0]
        if kind == "keras":
            raise TicketsError("this is a Keras 3 model; TF-MOT needs Keras 2: build it with `import tf_keras as "
                               "keras` (or `from tf_tickets.backend import keras`)")
        raise TicketsError(f"expected a tf_keras Model, got {type(model).__name__}")
    if not (isinstance(model, keras.Sequential) or getattr(model, "_is_graph_network", False)):
        raise TicketsError(f"{type(model).__name__} is a subclassed model; TF-MOT can wrap only Functional or "
                           "Sequential models: rebuild it with keras.Input(...) and layer calls")
    for layer in model.layers:  # wrapping reaches a model's own layers only: nested ones would stay dense, unsaid
        if not isinstance(layer, keras.Model):
            continue
        held = [inner.name for inner in flat_layers(layer) if policies.carries_weights(inner)]
        if held:
            raise TicketsError(f"{model.name!r} holds the model {layer.name!r} as a layer, and its prunable layers "
                               f"({', '.join(held[:3])}{', ...' if len(held) > 3 else ''}) would stay dense: "
                               f"tf_tickets prunes a model's own layers; call the nested model's layers on its "
                               f"input instead (one flat Functional model), or prune {layer.name!r} by itself")


def wrap(model, policy="conv_dense", schedule_for: Optional[Callable] = None) -> keras.Model:
    """A copy of `model` whose layers picked by `policy` carry masks (all ones) in our TF-MOT wrapper.

    `schedule_for(layer)` gives each wrapped layer its PruningSchedule (default: FixedMask).
    """
    check_model(model)
    policy = policies.make(policy, model)
    try:
        policy.ensure_model_supports_pruning(model)
    except ValueError as error:
        raise TicketsError(f"the model does not fit pruning policy {type(policy).__name__}: {error}") from None
    schedule_for = schedule_for or (lambda layer: FixedMask())
    copies = {}  # the model's layer -> its new copy (what clone_model makes by default), weights set below
    rebuild = BlankCopy()  # the context below sets each copy's own initializers back once it is built

    def copy_and_wrap(layer):
        copy = copies[layer] = rebuild(layer)
        if policy.allow_pruning(layer):
            # The wrapper computes in the wrapped layer's dtype: a float32 classifier in a mixed-precision
            # model stays float32 (else its mask would be cast to bfloat16/float16 and clash).
            return PruneLowMagnitude(copy, pruning_schedule=schedule_for(layer), dtype=layer.dtype_policy)
        return copy

    with rebuild:
        wrapped = keras.models.clone_model(model, clone_function=copy_and_wrap)
    for layer, copy in copies.items():  # built by now, as layers of `wrapped`
        # Variable to variable: through NumPy, every weight was copied out and back in.
        for mine, theirs in zip(copy.weights, layer.weights):
            mine.assign(theirs)
    if not any(is_wrapped(layer) for layer in wrapped.layers):
        raise TicketsError(f"nothing to prune: no layer of {model.name!r} is picked by the pruning policy "
                           "(Conv/Dense layers, or layers implementing tfmot PrunableLayer)")
    return wrapped
