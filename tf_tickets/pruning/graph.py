"""A Keras model as a graph of layer names: who feeds whom, where it starts and ends, what reaches what.

Layer collapse (does any path from input to output survive?) and the `skip_shortcuts` policy (which
1x1 convs are projection shortcuts?) are questions about this graph.
"""
from typing import Callable, Dict, Iterable, List, Set, Tuple

Graph = Dict[str, Set[str]]


def inbound(model) -> Graph:
    """Layer name -> the names of the layers feeding it (a Sequential model is a chain)."""
    names = [layer.name for layer in model.layers]
    config = model.get_config()
    if "input_layers" not in config:  # Sequential
        return {name: ({names[i - 1]} if i else set()) for i, name in enumerate(names)}
    known = set(names)

    def referenced(node) -> Set[str]:
        """Layer names in a node's serialised call arguments ([name, node, tensor, kwargs] lists)."""
        found: Set[str] = set()
        if isinstance(node, (list, tuple)):
            if node and isinstance(node[0], str) and node[0] in known:
                found.add(node[0])
                node = node[1:]
            for item in node:
                found |= referenced(item)
        elif isinstance(node, dict):
            for item in node.values():
                found |= referenced(item)
        return found

    return {layer["name"]: referenced(layer.get("inbound_nodes", [])) for layer in config["layers"]}


def ends(model) -> Tuple[List[str], List[str]]:
    """(input layer names, output layer names)."""
    config = model.get_config()
    if "input_layers" not in config:
        return [model.layers[0].name], [model.layers[-1].name]
    return [i[0] for i in config["input_layers"]], [o[0] for o in config["output_layers"]]


def outbound(graph: Graph) -> Graph:
    feeds: Graph = {name: set() for name in graph}
    for name, sources in graph.items():
        for source in sources:
            feeds.setdefault(source, set()).add(name)
    return feeds


def reachable(graph: Graph, starts: Iterable[str], removed: Set[str] = frozenset()) -> Set[str]:
    """The layers reached from `starts` going forward, never through a `removed` layer."""
    feeds = outbound(graph)
    reached = {s for s in starts if s not in removed}
    frontier = list(reached)
    while frontier:
        for nxt in feeds.get(frontier.pop(), ()):
            if nxt not in reached and nxt not in removed:
                reached.add(nxt)
                frontier.append(nxt)
    return reached


def shortcuts(graph: Graph, convs: Iterable[str], is_batch_norm: Callable[[str], bool],
              is_add: Callable[[str], bool]) -> Set[str]:
    """The 1x1 convs (`convs`, by name) that are projection shortcuts: the conv's output (through its
    BatchNorm, if any) meets, at an Add, a branch that starts from the conv's own input."""
    feeds = outbound(graph)
    found = set()
    for conv in convs:
        end = conv  # follow its BatchNorm, if any, to the merge it feeds
        while len(feeds.get(end, ())) == 1 and is_batch_norm(min(feeds[end])):
            end = min(feeds[end])
        merges = [m for m in feeds.get(end, ()) if is_add(m)]
        if not merges:
            continue
        others = graph[merges[0]] - {end}
        branch = reachable(graph, graph[conv], removed={conv})
        if others & branch:
            found.add(conv)
    return found
