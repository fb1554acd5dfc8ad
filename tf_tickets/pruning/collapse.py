"""Layer collapse: masks that leave a layer with no weight, or the network with no path from input to output.

Pruning at initialisation is known to empty whole layers at high sparsity (SNIP, global magnitude,
SynFlow on saturating activations). A layer that keeps no weight passes on no information about its
input (at most a constant bias). Inside a residual branch that is survivable, the skip path still
carries the signal; on the only path from input to output it disconnects the network, which then
trains at chance. `find` says which layers are empty and whether the network is still connected;
`check` reports that by name ("warn", "raise" or "ignore").
"""
import warnings
from typing import Dict, List, Optional, Set

import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.pruning import graph as graph_ops
from tf_tickets.pruning.carrier import carrier_of, weight_attr

POLICIES = ("warn", "raise", "ignore")


def _connected(graph, inputs: List[str], outputs: List[str], removed: Set[str]) -> bool:
    """Whether every output is still reached from an input once the `removed` layers pass nothing on."""
    reached = graph_ops.reachable(graph, inputs, removed)
    return all(o in reached for o in outputs)


def find(model, masks: Optional[Dict[str, np.ndarray]] = None) -> Dict:
    """{"empty": layers keeping no weight, "disconnecting": the empty layers through which the network is
    cut (those that alone cut every path from input to output, or, when only several together do, all
    of them), "connected": whether any path survives} for a model carrying masks (or for `masks` keyed
    as the model's masks are)."""
    empty_layers, keys = [], {}
    for layer in model.layers:
        carrier = carrier_of(layer)
        if carrier is None:
            continue
        pairs = carrier.masked_weights(layer)
        inner = carrier.inner(layer)
        values = [masks[k] for k in _keys(inner, pairs)] if masks is not None else [m.numpy() for _, m in pairs]
        if values and all(not np.any(v) for v in values):
            empty_layers.append(layer.name)
            keys[layer.name] = inner.name
    graph = graph_ops.inbound(model)
    inputs, outputs = graph_ops.ends(model)
    connected = _connected(graph, inputs, outputs, set(empty_layers))
    alone = [n for n in empty_layers if not _connected(graph, inputs, outputs, {n})]
    disconnecting = [] if connected else (alone or empty_layers)
    return {"empty": [keys[n] for n in empty_layers], "disconnecting": [keys[n] for n in disconnecting],
            "connected": connected}


def _keys(inner, pairs):
    return [f"{inner.name}/{weight_attr(w)}" if len(pairs) > 1 else inner.name for w, _ in pairs]


def describe(found: Dict) -> Optional[str]:
    """One line for the log and the reports, or None when nothing collapsed."""
    if not found["empty"]:
        return None
    survivable = [n for n in found["empty"] if n not in found["disconnecting"]]
    parts = []
    if found["disconnecting"]:
        parts.append(f"the network is disconnected (no path from input to output keeps a weight) by empty "
                     f"{', '.join(found['disconnecting'])}")
    if survivable:
        parts.append(f"empty inside a branch (survivable): {', '.join(survivable)}")
    return "layer collapse: " + "; ".join(parts)


def report(message: str, on_collapse: str = "warn") -> None:
    """Says `message` as `on_collapse` asks: a Python warning, a TicketsError, or nothing."""
    if on_collapse not in POLICIES:
        raise TicketsError(f"on_collapse must be one of {', '.join(POLICIES)}, got {on_collapse!r}")
    if on_collapse == "raise":
        raise TicketsError(message)
    if on_collapse == "warn":  # a Python warning; the command line turns it into one log line
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def check(model, on_collapse: str = "warn") -> Dict:
    """Finds collapse in the model's current masks and reports it; returns what `find` found."""
    found = find(model)
    message = describe(found)
    if message:
        report(message, on_collapse)
    return found
