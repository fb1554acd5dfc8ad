"""The static import graph of tf_tickets, read from its source with ast (no module is imported), for the tests
of where modules sit (tests/test_import_layers.py, tests/test_results_package.py)."""
import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = REPO / "tf_tickets"


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(named: bool = False):
    """{module: the tf_tickets modules it imports, at module level or inside a function}, and the modules
    that are commands (`python -m ...`: they hold a __main__ block). With `named`, a string that names a
    tf_tickets module other than the package itself counts as an import of it too (`importlib.import_module`,
    a lazy table of modules; the package's own name is also what Keras's serialisation and the logs call it)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    sources = {module: path.read_text() for module, path in paths.items()}

    def resolve(name):
        while name and name not in sources:
            name = name.rpartition(".")[0]
        return name

    graph, commands = {}, set()
    for module, text in sources.items():
        imported = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                imported |= {resolve(a.name) for a in node.names if a.name.startswith("tf_tickets")}
            elif isinstance(node, ast.ImportFrom):
                package = module if paths[module].name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):  # from .. import x
                    package = package.rpartition(".")[0]
                start = ".".join(filter(None, [package if node.level else "", node.module or ""]))
                if start.startswith("tf_tickets"):
                    imported |= {resolve(f"{start}.{a.name}") for a in node.names}
            elif named and isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value != "tf_tickets" and node.value in sources:
                imported.add(node.value)
        graph[module] = imported - {module, ""}
        if 'if __name__ == "__main__":' in text:
            commands.add(module)
    return graph, commands


def circles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm, without recursion),
    each sorted; modules outside the graph are ignored."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, edges = work[-1]
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[module] = min(low[module], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)
