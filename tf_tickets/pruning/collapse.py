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
from tf_tickets.pruning import stacks
from tf_tickets.pruning.carriers import inner_layer, targets

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
    kept: Dict[str, bool] = {}  # inner layer name -> keeps any weight (over all its masked weights)
    for target in targets(model):
        value = masks[target.key] if masks is not None else target.mask.numpy()
        kept[target.layer.name] = kept.get(target.layer.name, False) or bool(np.any(value))
    empty = [name for name, any_kept in kept.items() if not any_kept]
    stack = stacks.of(model)
    node = {inner_layer(layer).name: layer.name for layer in stack.layers(model)}  # the graph knows outer layers
    graph, inputs, outputs = stack.graph(model)
    connected = _connected(graph, inputs, outputs, {node[n] for n in empty})
    alone = [n for n in empty if not _connected(graph, inputs, outputs, {node[n]})]
    return {"empty": empty, "disconnecting": [] if connected else (alone or empty), "connected": connected}


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
