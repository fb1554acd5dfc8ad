"""The sanity grids under a runs root, collected into one report: every grid's own table (its `sanity.csv`)
per ticket and sparsity, and one picture of every ticket's accuracy, plain and under each check, drawn from
the numbers each grid's plot carries (`sanity.png`: the mean and std over its runs, as the grid computed them)."""
import csv
import glob
import os
import re
from typing import Dict, List, Tuple

from tf_tickets import figures
from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic
from tf_tickets.results import plots
from tf_tickets.table_writer import markdown_table

COLUMNS = ["check", "n", "accuracy", "drop", "verdict"]  # of a grid's table, as the collected report shows them
TABLE, PLOT = "sanity.csv", "sanity.png"  # what a grid writes in its table directory
METHOD_ITSELF, DENSE_REFERENCE = "none", "(dense"  # how the rows of the ticket itself and of the dense network open


def grids(root: str) -> Dict[Tuple[str, float], str]:
    """{(method, sparsity): table directory} of the grids under `root` (`<method>/sparsity<S>/sanity.csv`);
    a grid placed beside another of the same sparsity keeps what tells it apart in its ticket's name."""
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "*", "sparsity*", TABLE))):
        directory = os.path.dirname(path)
        parsed = re.fullmatch(r"sparsity([0-9.]+)(.*)", os.path.basename(directory))
        if parsed is None:
            raise TicketsError(f"{directory}: no sparsity in its name")
        method = os.path.basename(os.path.dirname(directory)) + parsed.group(2)
        found[(method, float(parsed.group(1)))] = directory
    if not found:
        raise TicketsError(f"no sanity tables under {root}")
    return found


def _rows(directory: str) -> List[Dict]:
    with open(os.path.join(directory, TABLE), newline="") as f:
        return list(csv.DictReader(f))


def _bars(method: str, directory: str) -> List[Tuple[str, float, float]]:
    """(label, mean %, std %) of the ticket and each check its grid ran, from the numbers of its plot."""
    path = os.path.join(directory, PLOT)
    if not os.path.isfile(path):
        raise TicketsError(f"{directory} has {TABLE} but no {PLOT}: gather the grid again (--gather)")
    shown = figures.plotted(path)
    return [(method + ("" if check.startswith(METHOD_ITSELF) else f" / {check}"), 100 * mean, 100 * std)
            for check, mean, std in zip(shown["labels"], shown["values"], shown["errors"])
            if not check.startswith(DENSE_REFERENCE)]


def collect(root: str) -> Tuple[str, Dict[float, List[Tuple[str, float, float]]]]:
    """(the Markdown report, {sparsity: bars of `plots.checks_plot`}) of every grid under `root`."""
    found = grids(root)
    lines = []
    for (method, sparsity), directory in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rows = [[row.get(c, "") for c in COLUMNS] for row in _rows(directory)]
        lines += [f"### {method}, sparsity {sparsity:g}", "",
                  markdown_table(rows, ["check", "n", "accuracy (%)", "drop", "verdict"]), ""]
    bars = {}
    for (method, sparsity), directory in sorted(found.items()):
        bars.setdefault(sparsity, []).extend(_bars(method, directory))
    return "\n".join(lines), bars


def write(root: str, prefix: str) -> str:
    """PREFIX.md and PREFIX.png of every grid under `root`, once all is read; returns the Markdown."""
    text, bars = collect(root)
    write_atomic(prefix + ".md", text)
    plots.checks_plot(prefix + ".png", bars)
    return text
