"""The one writer of the project's tables, Markdown and CSV, and the cell they show for seeds pooled.

Every report builds its rows and hands them here: a run's sparsity report (`pruning.report`), the sanity,
siblings, tickets and trials tables, the tables of many runs (`tf_tickets.results`), overlap matrices and
export reports. It imports nothing of the project but `files`, so that every layer may use it.

    print(markdown_table([{"layer": "fc1", "density": 0.1}], ["layer", "density"], right=["density"]))
"""
import os
import statistics
from typing import Callable, Collection, Dict, List, Mapping, Sequence, Tuple, Union

from tf_tickets.files import write_atomic, write_csv

Row = Union[Mapping, Sequence]  # cells by column name, or in column order


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value), as every table pools seeds."""
    values = list(values)
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def percent(mean: float, std: float) -> str:
    """An accuracy cell: "84.95 ± 0.13" (fractions shown in %)."""
    return f"{100 * mean:.2f} ± {100 * std:.2f}"


def cell_text(value) -> str:
    """A value as a cell shows it: floats to four decimals, anything else as it prints."""
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _line(cells: Sequence[str]) -> str:
    """"| a | b |"; a row that opens blank (a matrix's corner, a totals row) opens "| |"."""
    return ("| |" if cells[0] == "" else f"| {cells[0]} |") + "".join(f" {c} |" for c in cells[1:])


def markdown_table(rows: Sequence[Row], columns: Sequence[str], right: Collection[str] = ()) -> str:
    """A Markdown table of `rows` (mappings read by column name, a missing one blank, or sequences of cells
    in column order) under the header `columns`; the columns named in `right` are right-aligned."""
    lines = [_line(list(columns)), "|" + "".join("---:|" if c in right else "---|" for c in columns)]
    for row in rows:
        cells = [row.get(c, "") for c in columns] if isinstance(row, Mapping) else list(row)
        lines.append(_line([cell_text(c) for c in cells]))
    return "\n".join(lines)


def matrix_table(names: Sequence[str], values: Sequence[Sequence], fmt: Callable = cell_text,
                 diagonal: bool = True) -> str:
    """A Markdown matrix, rows and columns both `names`; `diagonal=False` leaves the diagonal (an item
    against itself) as "-"."""
    rows = [[name] + ["-" if i == j and not diagonal else fmt(v) for j, v in enumerate(row)]
            for i, (name, row) in enumerate(zip(names, values))]
    return markdown_table(rows, [""] + list(names), right=names)


def write_table(directory: str, name: str, rows: List[Dict], columns: Sequence[str]) -> str:
    """Writes <name>.md and <name>.csv (the columns only) in `directory`, each atomically; returns the Markdown."""
    table = markdown_table(rows, columns)
    write_atomic(os.path.join(directory, f"{name}.md"), table + "\n")
    write_csv(os.path.join(directory, f"{name}.csv"), [{c: row.get(c, "") for c in columns} for row in rows])
    return table
