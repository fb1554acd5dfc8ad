"""What tf_tickets needs to know about a Keras 3 model, on any backend (TensorFlow, JAX, PyTorch): its layers
in forward order, the graph of its layers, its input shape and output width, its prunable kernels, whether
it is residual, and plain copies of it (criteria score one, `strip` gives one).

Functional and Sequential models say all this themselves. A subclassed model is traced once: its `call` on
a symbolic input (`keras.Input`), which makes Keras record a node for every layer and op it runs, as it does
for a Functional model; forward order is then the order of that graph (ties in the order Keras tracks the
layers). Nothing here imports TensorFlow unless Keras 3 runs on it.
"""
import collections
import hashlib
import json
import sys
import weakref
from typing import Dict, List, Optional, Set, Tuple

import keras
import numpy as np
from keras.src.models.functional import Functional
from keras.src.saving.serialization_lib import SafeModeScope

from tf_tickets.errors import TicketsError

# Layers whose kernel is pruned, as tf_keras's TF-MOT path prunes them (Conv*, Conv*Transpose, the pointwise
# kernel of a separable conv, Dense), by exact class: a subclass may use its kernel its own way. A
# DepthwiseConv has no weight TF-MOT masks, and EinsumDense none it knows; both stay dense.
CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.Conv1DTranspose,
        keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose, keras.layers.SeparableConv1D,
        keras.layers.SeparableConv2D)
PRUNABLE = CONV + (keras.layers.Dense,)


def to_numpy(value) -> np.ndarray:
    """A variable or a backend tensor as a NumPy array (`keras.ops.convert_to_numpy`, which on TensorFlow warns
    of NumPy 2's copy keyword at every call)."""
    if isinstance(value, keras.Variable):
        return value.numpy()
    if keras.backend.backend() == "tensorflow":
        return np.asarray(value)
    return keras.ops.convert_to_numpy(value)


def is_prunable(layer) -> bool:
    return type(layer) in PRUNABLE


def looks_prunable(layer) -> bool:
    """A Conv or Dense layer, or a subclass of one (which `is_prunable` turns down)."""
    return isinstance(layer, PRUNABLE)


def kernel_attr(layer) -> str:
    """The attribute holding the variable to prune, the one the layer's call reads: "_kernel" where `kernel`
    is a property over it (Dense, Conv*: LoRA and quantization go through it), "kernel" for transposed
    convs, "pointwise_kernel" for separable convs."""
    if isinstance(layer, (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)):
        return "pointwise_kernel"
    return "_kernel" if "_kernel" in vars(layer) else "kernel"


def kernel(layer):
    """The variable of `layer` that is pruned (see `kernel_attr`)."""
    return vars(layer)[kernel_attr(layer)]


def is_graph(model) -> bool:
    """Functional or Sequential: a model that knows its own graph."""
    return isinstance(model, (Functional, keras.Sequential))


def own_layers(model) -> List:
    """The layers a model holds itself: `model.layers` of a Functional or Sequential model (input layers left
    out); for a subclassed model, every layer Keras tracks in it, at any depth, that holds no other layer."""
    if is_graph(model):
        return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if not list(layer._flatten_layers(include_self=False, recursive=False))]


class Trace:
    """A model's layer graph: node names (a layer's name; an op's "<op>@<n>"), who feeds whom, the input and
    output nodes, the op behind each node, and the width of the (first) output."""

    def __init__(self, inputs, outputs):
        self.ops: Dict[str, object] = {}
        self.inbound: Dict[str, set] = {}
        names: Dict[int, str] = {}

        def name_of(op) -> str:
            if id(op) not in names:
                names[id(op)] = op.name if isinstance(op, keras.layers.Layer) else f"{op.name}@{len(names)}"
                self.ops[names[id(op)]] = op
            return names[id(op)]

        frontier = list(outputs)
        seen = set()
        while frontier:
            tensor = frontier.pop()
            op, index, _ = tensor._keras_history
            name = name_of(op)
            if (name, index) in seen:
                continue
            seen.add((name, index))
            node = op._inbound_nodes[index]
            self.inbound.setdefault(name, set()).update(name_of(t._keras_history.operation)
                                                        for t in node.input_tensors)
            frontier.extend(node.input_tensors)
        self.inputs = [name_of(t._keras_history.operation) for t in inputs]
        self.outputs = [name_of(t._keras_history.operation) for t in outputs]
        self.output_width = int(outputs[0].shape[-1]) if outputs and outputs[0].shape[-1] is not None else None

    def order(self, tracked: List) -> List[str]:
        """Node names in forward order: each after every node feeding it, ties in the order of `tracked`
        (layers as Keras tracks them), ops where they first can be."""
        rank = {layer.name: i for i, layer in enumerate(tracked)}
        feeds = collections.defaultdict(set)
        for name, sources in self.inbound.items():
            for source in sources:
                feeds[source].add(name)
        waiting = {name: len(sources) for name, sources in self.inbound.items()}
        ready = [name for name, count in waiting.items() if count == 0]
        order = []
        while ready:
            ready.sort(key=lambda n: (n in rank, rank.get(n, -1)))
            name = ready.pop(0)
            order.append(name)
            for nxt in feeds[name]:
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    ready.append(nxt)
        return order


_TRACES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def trace(model) -> Trace:
    """The model's graph (traced once per subclassed model, kept while the model lives)."""
    found = _TRACES.get(model)
    if found is None:
        found = _TRACES[model] = _trace(model)
    return found


def _trace(model) -> Trace:
    if is_graph(model):
        if not model.built or not getattr(model, "inputs", None):
            raise TicketsError(f"model {model.name!r} is not built: give it an Input (or call it on a batch) first")
        return Trace(list(model.inputs), list(model.outputs))
    shape = input_shape_of(model)
    symbolic = keras.Input(batch_shape=(None,) + tuple(shape[1:]), dtype=model.input_dtype)
    try:
        outputs = model.call(symbolic)
    except Exception as error:  # noqa: BLE001  (a user's call that cannot run symbolically: say so, in one line)
        raise TicketsError(f"could not trace {model.name!r} ({type(model).__name__}.call on a symbolic input of "
                           f"shape {symbolic.shape}): {type(error).__name__}: {str(error).splitlines()[0]}") from None
    outputs = keras.tree.flatten(outputs)
    if not all(isinstance(t, keras.KerasTensor) for t in outputs):
        raise TicketsError(f"{type(model).__name__}.call did not return Keras tensors for a symbolic input")
    return Trace([symbolic], outputs)


def input_shape_of(model) -> Tuple:
    """The shape the model was built for, batch axis included (one input)."""
    if is_graph(model):
        shapes = [tuple(t.shape) for t in getattr(model, "inputs", None) or []]
    else:
        config = model.get_build_config() if model.built else None
        shape = (config or {}).get("input_shape")
        shapes = [tuple(shape)] if shape is not None and all(isinstance(d, (int, type(None))) for d in shape) else []
    if len(shapes) != 1:
        raise TicketsError(f"model {model.name!r} must be built on one input (call it on a batch, or give it a "
                           f"keras.Input) before pruning; got input shapes {shapes or 'none'}")
    return shapes[0]


def forward_layers(model) -> List:
    """`own_layers` in forward order (a subclassed model's as its traced graph runs them)."""
    layers = own_layers(model)
    if is_graph(model):
        return layers
    by_name = {layer.name: layer for layer in layers}
    ordered = [by_name[name] for name in trace(model).order(layers) if name in by_name]
    return ordered + [layer for layer in layers if layer.name not in {l.name for l in ordered}]


def prunable_layers(model) -> List:
    return [layer for layer in forward_layers(model) if is_prunable(layer)]


def num_classes(model) -> int:
    width = trace(model).output_width
    if width is None:
        raise TicketsError(f"model {model.name!r} has no output of known width")
    return width


def input_shape(model) -> Tuple:
    """Without the batch axis."""
    return tuple(input_shape_of(model)[1:])


def is_residual(model) -> bool:
    """True when some node adds two branches (an Add layer, or `+`/`ops.add` on two tensors of the graph)."""
    found = trace(model)
    adds = (keras.layers.Add, keras.src.ops.numpy.Add)
    return any(isinstance(found.ops[name], adds) and len(sources) > 1 for name, sources in found.inbound.items())


def classifier_kernel(model):
    """The kernel of the last Dense among the prunable layers (GraSP re-initialises it), or None."""
    dense = [layer for layer in prunable_layers(model) if isinstance(layer, keras.layers.Dense)]
    return kernel(dense[-1]) if dense else None


class SecondOrderBatchNormalization(keras.layers.BatchNormalization):
    """Keras 3's BatchNormalization with batch moments whose second derivative is right on every backend.

    On TensorFlow, Keras 3 takes the moments from `tf.nn.moments`, which stops the gradient through the mean
    inside the variance: first derivatives are right, a derivative of a gradient (GraSP's Hessian-gradient
    product) is not (tests/test_keras3_backends.py measures it against finite differences). Here the
    variance is the mean of (x - mean)^2, differentiated through on every backend (means as sums over a
    count: Keras' `ops.mean` of float64 is float32 on JAX and PyTorch); outputs and moving statistics are
    Keras's own. Scoring copies for criteria that differentiate a gradient use it (`plain_copy`)."""

    def _moments(self, inputs, mask):
        if mask is not None or self.synchronized:
            return super()._moments(inputs, mask)
        axes = self._reduction_axes
        total = keras.ops.sum(inputs, axis=axes, keepdims=True)
        count = keras.ops.cast(keras.ops.size(inputs) // keras.ops.size(total), inputs.dtype)
        mean = total / count
        variance = keras.ops.sum(keras.ops.square(inputs - mean), axis=axes, keepdims=True) / count
        return keras.ops.squeeze(mean, axes), keras.ops.squeeze(variance, axes)


def plain_copy(model, plain_class, dtype: Optional[str] = None, second_order: bool = False,
               masks: Optional[Dict[int, object]] = None, hidden: Set[int] = frozenset()):
    """A new model of `model`'s architecture holding its weights: each layer rebuilt as `plain_class(layer)`,
    every layer and the input in `dtype` when given (float64 for SynFlow), BatchNorm as
    `SecondOrderBatchNormalization` with `second_order`. `masks` ({id of a weight: its mask variable}): those
    weights are copied multiplied by their masks, and the masks themselves are left out, as are the variables
    whose ids are in `hidden` (a search's scores). Functional and
    Sequential models are cloned layer by layer; a subclassed model is rebuilt from its config as
    `keras.models.clone_model` does (its layers are whatever its own __init__ makes), under a `dtype` policy.
    Lambda layers are copied too (Keras' safe mode, which refuses to rebuild a lambda from a config, is for
    loading files)."""
    with SafeModeScope(False):  # a Lambda's function is this program's code, not a file's
        if is_graph(model):
            swapped = []  # (layer, its own initializers): built from zeros, which spares the random draws

            def rebuild(layer):
                config = layer.get_config()
                if dtype is not None:
                    config["dtype"] = dtype
                copy = plain_class(layer).from_config(config)
                swapped.append((copy, _zero_initializers(copy)))
                return copy

            inputs = keras.Input(batch_shape=input_shape_of(model), dtype=dtype) if dtype is not None else None
            try:
                copy = keras.models.clone_model(model, clone_function=rebuild, input_tensors=inputs)
            finally:
                for layer, initializers in swapped:  # the copy's configs are the model's
                    for key, initializer in initializers.items():
                        setattr(layer, key, initializer)
        else:
            copy = _rebuilt(model, dtype)
    for layer in own_layers(copy):
        if type(layer) is keras.layers.BatchNormalization and second_order:
            layer.__class__ = SecondOrderBatchNormalization  # overrides `_moments` only: no state of its own
    sources, targets = own_layers(model), own_layers(copy)
    if len(sources) != len(targets):
        raise TicketsError(f"could not copy {model.name!r}: its copy holds other layers "
                           f"({[l.name for l in targets][:4]} against {[l.name for l in sources][:4]})")
    for source, target in zip(sources, targets):
        target.name = source.name  # a subclassed model's copy named its layers anew: masks go by name
    fill(copy, model, masks, hidden)
    return copy


def _zero_initializers(layer) -> Dict[str, object]:
    """Sets a layer's initializers to zeros before it is built; returns the ones it had (`models.common`'s
    `zero_initializers` for Keras 3: under JAX, drawing each weight compiles a random op per shape and dtype,
    most of copying a model in float64)."""
    swapped = {}
    for key, value in vars(layer).items():
        if key.endswith("_initializer") and isinstance(value, keras.initializers.Initializer):
            swapped[key] = value
    for key in swapped:
        setattr(layer, key, keras.initializers.Zeros())
    return swapped


def fill(copy, model, masks: Optional[Dict[int, object]] = None, hidden: Set[int] = frozenset()) -> None:
    """Sets every weight of `copy` (a `plain_copy` of `model`'s architecture) from `model`'s, those in `masks`
    ({id of a weight: its mask}) multiplied by their masks, the masks themselves and `hidden` left out."""
    masks = masks or {}
    left_out = {id(mask) for mask in masks.values()} | set(hidden)
    for source, target in zip(own_layers(model), own_layers(copy)):
        theirs = [w for w in source.weights if id(w) not in left_out]
        mine = target.weights
        if len(mine) != len(theirs) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(mine, theirs)):
            raise TicketsError(f"could not copy layer {source.name!r}: its copy's weights differ in number or shape")
        for variable, value in zip(mine, theirs):
            array = to_numpy(value)
            if id(value) in masks:
                array = array * to_numpy(masks[id(value)])
            variable.assign(array.astype(np.dtype(variable.dtype), copy=False))


def architecture(model) -> str:
    """A key for the architecture (class, configs without initializers, layer names and weight shapes) and where
    its variables live (the distribution or strategy in force): copies and functions compiled for one model
    serve every model of the same key."""
    config = model.get_config() if is_graph(model) else {"config": model.get_config()}
    layers = [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights])
              for layer in own_layers(model)]
    tf = sys.modules.get("tensorflow") if keras.backend.backend() == "tensorflow" else None
    placement = [id(keras.distribution.distribution()), id(tf.distribute.get_strategy()) if tf else None]
    text = json.dumps([type(model).__name__, _without_initializers(config), layers, placement], sort_keys=True,
                      default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def _without_initializers(config):
    if isinstance(config, dict):
        return {k: _without_initializers(v) for k, v in config.items() if not k.endswith("initializer")}
    if isinstance(config, (list, tuple)):
        return [_without_initializers(v) for v in config]
    return config


def _rebuilt(model, dtype):
    """A subclassed model rebuilt from its config (`keras.models.clone_model`) and built on its input shape;
    its layers in `dtype` when given (the global policy while its __init__ makes them)."""
    previous = keras.config.dtype_policy()
    try:
        if dtype is not None:
            keras.config.set_dtype_policy(dtype)
        copy = keras.models.clone_model(model)
        if not copy.built or len(copy.weights) == 0:
            copy(np.zeros((1,) + input_shape(model), dtype or model.input_dtype))
    except TicketsError:
        raise
    except Exception as error:  # noqa: BLE001  (a user's class that does not round-trip its config)
        raise TicketsError(f"could not copy {type(model).__name__} {model.name!r}: tf_tickets works on a copy, and a "
                           "subclassed model is copied from its config, as keras.models.clone_model does (pass "
                           "**kwargs on to super().__init__, and return your own arguments from get_config): "
                           f"{type(error).__name__}: {str(error).splitlines()[0]}") from None
    finally:
        keras.config.set_dtype_policy(previous)
    if dtype is not None and any(np.dtype(w.dtype) != np.dtype(dtype) for w in copy.weights
                                 if np.dtype(w.dtype).kind == "f"):
        raise TicketsError(f"could not copy {model.name!r} in {dtype}: some of its layers set their own dtype")
    return copy
