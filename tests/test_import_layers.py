"""The import graph follows the data flow (issue 31): a module imports only modules of its own layer or lower
ones, and no modules import each other round a circle, at module level or inside a function."""
from tests.import_graph import circles, import_graph

# Lowest first; each entry a module or a package (all its modules), under tf_tickets ("" is the package itself).
# A module belongs to the entry that names it most closely: tf_tickets.pruning.keras3.stack is "pruning"'s.
LAYERS = [
    ("errors", "options", "registry", "files", "durations", "quiet", "run_files", "arrays", "kinds", "deprecation",
     "hparams", "backend", "progress", "table_writer", "figures"),  # what every layer uses
    ("data",),
    ("models",),
    ("criteria",),
    ("budgets", "masks"),
    ("pruning",),
    ("training", "callbacks"),
    ("jackpot", "saved_code", "saving", "loading"),  # searches that train, models saved and loaded
    ("checks",),
    ("runs", "pretrained"),
    ("runner",),
    ("procedures",),
    ("cli", "harness"),  # what the commands share: their logging and exits, runs built from flags
    ("", "train", "sanity", "compare", "siblings", "overlap", "grid_cli", "tune", "tuning"),  # entry points
    ("export", "results"),  # on top: they read what the others write
]


def layer_of(module):
    """The layer's index, or None for a module that no entry names."""
    named = [(len(entry), i) for i, entries in enumerate(LAYERS) for entry in entries
             if module == ".".join(filter(None, ["tf_tickets", entry]))
             or module.startswith(".".join(filter(None, ["tf_tickets", entry])) + ".")]
    return max(named)[1] if named else None


def test_the_graph_holds_every_import_lazy_ones_too():
    graph, _ = import_graph()
    assert "tf_tickets.training.lr_schedules" in graph["tf_tickets.training.config"]  # inside a method
    assert "tf_tickets.procedures.at_init" in graph["tf_tickets.procedures.by_name"]
    named, _ = import_graph(named=True)  # importlib.import_module and lazy tables name their modules
    assert "tf_tickets.training.keras3.loop" in named["tf_tickets.training.trainers"]


def test_every_module_has_a_layer():
    graph, _ = import_graph()
    missing = sorted(m for m in graph if layer_of(m) is None)
    assert not missing, f"{missing[0]} has no layer: add it (or its package) to LAYERS in {__file__}"


def test_no_import_circle():
    """Counting imports inside functions: a lazy import that closes a circle hides it only until the first
    call. A table of implementations named as strings (pruning.stacks loads each Keras's stack, whose modules
    import the table) is how a registry reaches its entries, so only import statements count here."""
    graph, _ = import_graph()
    assert circles(graph) == []


def test_no_module_imports_one_above_it():
    graph, _ = import_graph(named=True)
    upward = [f"{m} (layer {layer_of(m)}) imports {i} (layer {layer_of(i)})" for m in sorted(graph)
              for i in sorted(graph[m]) if layer_of(m) is not None and layer_of(i) is not None
              and layer_of(i) > layer_of(m)]
    assert upward == []


def test_circles_and_upward_imports_are_seen():
    """The checks above can fail: a made-up graph with a circle and an upward import."""
    graph = {"tf_tickets.data.a": {"tf_tickets.models.b"}, "tf_tickets.models.b": {"tf_tickets.data.a"},
             "tf_tickets.results.c": set()}
    assert circles(graph) == [["tf_tickets.data.a", "tf_tickets.models.b"]]
    assert layer_of("tf_tickets.models.b") > layer_of("tf_tickets.data.a")
    assert layer_of("tf_tickets.pruning.keras3.stack") == layer_of("tf_tickets.pruning")
    assert layer_of("tf_tickets") < layer_of("tf_tickets.results") and layer_of("tf_tickets_extra") is None
