"""Snapshots of a model's own weights, keyed "<layer>/<weight>", that fit a plain model and the same
model carrying masks alike (a carrier's inner layer has the plain layer's name and weights).

Masks, thresholds and pruning steps are never part of a snapshot: setting a wrapped model's weights
wholesale would overwrite the masks.
"""
from typing import Dict

import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.pruning import stacks
from tf_tickets.pruning.carriers import apply_masks, carrier_of, inner_layer, targets, weight_attr


def _variables(model):
    layers = stacks.of(model).layers(model)
    # A Keras 3 layer holds its masks (and a search's scores) among its own weights.
    hidden = {id(t.mask) for t in targets(model)}
    hidden.update(id(w) for layer in layers if carrier_of(layer) for w in carrier_of(layer).hidden_weights(layer))
    return {f"{layer.name}/{weight_attr(w)}": w for layer in map(inner_layer, layers)
            for w in layer.weights if id(w) not in hidden}


def snapshot(model) -> Dict[str, np.ndarray]:
    return {key: w.numpy() for key, w in _variables(model).items()}


def restore(model, weights: Dict[str, np.ndarray]) -> None:
    """Sets every weight named in the snapshot, then re-applies masks (pruned weights stay 0)."""
    variables = _variables(model)
    missing = sorted(set(variables) - set(weights))
    if missing:
        raise TicketsError(f"the rewind point does not fit the model: no value for {', '.join(missing[:4])}")
    for key, variable in variables.items():
        if tuple(weights[key].shape) != tuple(variable.shape):
            raise TicketsError(f"the rewind point does not fit the model: {key} has shape {weights[key].shape}")
        variable.assign(weights[key])
    apply_masks(model)
