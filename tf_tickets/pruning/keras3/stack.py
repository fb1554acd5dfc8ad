"""The Keras 3 stack (TensorFlow, JAX or PyTorch backend): a copy of the user's model whose picked layers
carry their own masks (`layers`), scored on a plain copy kept per architecture."""
import contextlib
from collections import Counter

import keras

from tf_tickets.criteria import autodiff
from tf_tickets.errors import TicketsError
from tf_tickets.models import keras3 as k3models
from tf_tickets.pruning import stacks
from tf_tickets.pruning.keras3 import carrier as k3carrier
from tf_tickets.pruning.keras3 import layers, policies


class Keras3Stack(stacks.Stack):
    def check_model(self, model):
        """One-line errors for what cannot carry masks here; nothing of the model changes."""
        if not isinstance(model, keras.Model):
            raise TicketsError(f"expected a Keras model, got the {type(model).__name__} {getattr(model, 'name', '')!r}")
        k3models.input_shape_of(model)  # built, on one input
        own = k3models.own_layers(model)
        if k3models.is_graph(model):
            for layer in own:  # masks go on a model's own layers: a nested model's would stay dense, unsaid
                if not isinstance(layer, keras.Model):
                    continue
                held = [inner.name for inner in k3models.own_layers(layer) if k3models.looks_prunable(inner)]
                if held:
                    raise TicketsError(
                        f"{model.name!r} holds the model {layer.name!r} as a layer, and its prunable layers "
                        f"({', '.join(held[:3])}{', ...' if len(held) > 3 else ''}) would stay dense: tf_tickets "
                        f"prunes a model's own layers; call the nested model's layers on its input instead (one "
                        f"flat Functional model), or prune {layer.name!r} by itself")
        twice = [name for name, count in Counter(layer.name for layer in own).items() if count > 1]
        if twice:
            raise TicketsError(f"{model.name!r} has several layers named {twice[0]!r}: masks are kept by layer name, "
                               "so layer names must be unique")
        if any(layers.is_masked(layer) for layer in own):
            raise TicketsError(f"{model.name!r} carries masks already: prune the model it came from, or pass "
                               "tf_tickets.strip(model) (its masked weights zero)")
        for layer in own:
            if getattr(layer, "quantization_mode", None) is not None or getattr(layer, "lora_enabled", False):
                raise TicketsError(f"layer {layer.name!r} is quantized or has LoRA enabled: tf_tickets masks plain "
                                   "float kernels; prune before quantizing or enabling LoRA")

    def wrap(self, model, policy):
        self.check_model(model)
        picked = policies.chosen(policy, model)
        if not picked:
            raise TicketsError(f"nothing to prune: no layer of {model.name!r} is picked by the pruning policy "
                               f"(Keras' {', '.join(c.__name__ for c in k3models.PRUNABLE)} layers)")
        copy = k3models.plain_copy(model, type)
        for layer in k3models.own_layers(copy):
            if layer.name in picked:
                layers.adopt(layer)
        return copy

    def layers(self, model):
        return k3models.forward_layers(model)

    def graph(self, model):
        found = k3models.trace(model)
        return found.inbound, found.inputs, found.outputs

    def scoring_copy(self, wrapped, dtype=None, second_order=False):
        """As the tf_keras stack's (`tf_tickets.pruning.scoring_copies`): one plain copy per architecture, a few
        kept, refilled on each call, so that what a backend compiled for it serves a grid's runs."""
        masks = {id(weight): mask for layer in k3models.own_layers(wrapped) if k3carrier.CARRIER.carries(layer)
                 for weight, mask in k3carrier.CARRIER.masked_weights(layer)}
        precision = autodiff.of(wrapped).float64() if dtype == "float64" else contextlib.nullcontext()
        key = (k3models.architecture(wrapped), dtype, second_order)
        with precision:  # under JAX, float64 variables need 64-bit mode on while they are made and written
            copy = _COPIES.pop(key, None)
            if copy is None:
                copy = k3models.plain_copy(wrapped, layers.plain_class, dtype, second_order, masks)
            else:
                k3models.fill(copy, wrapped, masks)
        _COPIES[key] = copy
        while len(_COPIES) > KEEP:
            _COPIES.pop(next(iter(_COPIES)))
        return copy

    def is_residual(self, model):
        return k3models.is_residual(model)

    def num_classes(self, model):
        return k3models.num_classes(model)


KEEP = 4  # architectures whose scoring copies are kept; the least recently used goes first
_COPIES: dict = {}

STACK = Keras3Stack()
