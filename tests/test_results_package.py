"""The results package and the writers every report shares: where they sit in the import graph, the layout
of the tables they write, and the sanity grids collected (tools/collect_sanity.py) from the numbers the grids
keep rather than from their text."""
import importlib
import json
import pathlib
import shutil

import pytest

from tests.import_graph import import_graph
from tf_tickets import table_writer
from tf_tickets.results import sanity

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURE_GRIDS = REPO / "tests" / "fixtures" / "tables" / "runs" / "sanity"
WRITERS = {"tf_tickets.table_writer", "tf_tickets.figures"}


def test_no_module_imports_a_command_and_the_results_sit_on_top():
    graph, commands = import_graph()
    assert {"tf_tickets.overlap", "tf_tickets.sanity", "tf_tickets.train"} <= commands
    into_commands = {(m, c) for m, imported in graph.items() for c in imported & commands}
    assert into_commands == set()  # e.g. the siblings report once drew with tf_tickets.overlap
    into_results = {m for m, imported in graph.items() if not m.startswith("tf_tickets.results")
                    and any(i.startswith("tf_tickets.results") for i in imported)}
    assert into_results == set()
    # The writers sit below every layer (the pruning package's sparsity report writes with one).
    assert {w: graph[w] for w in WRITERS} == {w: {"tf_tickets.files"} for w in WRITERS}
    assert "tf_tickets.table_writer" in graph["tf_tickets.pruning.report"]


def test_no_import_circle_through_the_results_or_the_writers():
    graph, _ = import_graph()
    ours = {m for m in graph if m.startswith("tf_tickets.results") or m in WRITERS}
    for start in ours:  # no path from one of them back to itself
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            assert module != start, f"{start} imports itself through {sorted(seen)}"
            if module not in seen:
                seen.add(module)
                todo += graph.get(module, ())


def test_tables_keep_their_layout():
    """Every report's table comes out as the hand-written ones did (files compared across versions)."""
    rows = [{"check": "none (the method itself)", "n": 3, "mean": 0.849512}, {"check": "random labels", "n": 0}]
    assert table_writer.markdown_table(rows, ["check", "n", "drop", "mean"]) == (
        "| check | n | drop | mean |\n|---|---|---|---|\n"
        "| none (the method itself) | 3 |  | 0.8495 |\n| random labels | 0 |  |  |")
    assert table_writer.markdown_table([["fc1", "1,000"], ["", "total"]], ["layer", "size"], right=["size"]) == \
        "| layer | size |\n|---|---:|\n| fc1 | 1,000 |\n| | total |"
    assert table_writer.matrix_table(["a", "b"], [[1.0, 0.25], [0.25, 1.0]], "{:.2f}".format, diagonal=False) == \
        "| | a | b |\n|---|---:|---:|\n| a | - | 0.25 |\n| b | 0.25 | - |"
    assert table_writer.percent(*table_writer.mean_std([0.8495, 0.8497])) == "84.96 ± 0.01"


def test_collected_sanity_grids_show_their_tables_and_the_numbers_of_their_runs(tmp_path, run_main):
    root = tmp_path / "sanity"
    shutil.copytree(FIXTURE_GRIDS, root)  # real runs; their grids' tables made again, with their plots
    gathered = run_main("tf_tickets.sanity", "--flagfile=configs/embedded_sanity.cfg", f"--run_dir={root}", "--gather")
    assert gathered.returncode == 0, gathered.stderr[-2000:]
    collect = importlib.import_module("tools.collect_sanity")
    with pytest.raises(SystemExit, match="lr_rewinding/sparsity0.9 has sanity.csv but no sanity.png"):
        collect.main(str(root), str(tmp_path / "all"))  # a grid's table without its plot (the fixture keeps none)
    assert not list(tmp_path.glob("all.*"))
    for grid in ("lr_rewinding/sparsity0.9", "random/sparsity0.98", "snip/sparsity0.98"):
        shutil.rmtree(root / grid)

    collect.main(str(root), str(tmp_path / "all"))
    text = (tmp_path / "all.md").read_text()
    for grid in ("random/sparsity0.9", "snip/sparsity0.9"):  # each grid's own table, under its name
        method, sparsity = grid.split("/sparsity")
        table = (root / grid / "sanity.md").read_text().replace("| accuracy |", "| accuracy (%) |")
        assert f"### {method}, sparsity {sparsity}\n\n{table}" in text
    assert "| random labels | 0 | not run |  | does not (it uses no data) |" in text  # a check the grid skipped
    assert (tmp_path / "all.png").stat().st_size > 0

    def accuracies(cell):
        return [100 * json.loads((root / cell / f"seed{s}" / "results.json").read_text())["test_accuracy"]
                for s in range(3)]

    _, bars = sanity.collect(str(root))  # what the picture draws: each cell's mean and std over its runs
    expected = {"random": "random/sparsity0.9/plain", "random / layerwise rearrange": "random/sparsity0.9/rearrange",
                "snip": "snip/sparsity0.9/plain", "snip / random labels": "snip/sparsity0.9/random_labels",
                "snip / layerwise rearrange": "snip/sparsity0.9/rearrange"}
    assert [label for label, _, _ in bars[0.9]] == list(expected)  # no bar for the check that did not run
    for label, mean, std in bars[0.9]:
        assert (mean, std) == pytest.approx(table_writer.mean_std(accuracies(expected[label])), abs=1e-9)
