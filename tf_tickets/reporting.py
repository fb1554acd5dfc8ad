"""Tables (Markdown and CSV) and plots of several runs' results, written atomically."""
import io
import json
import os
from typing import Dict, List, Sequence

from tf_tickets.files import write_atomic, write_atomic_bytes, write_csv


def markdown_table(rows: List[Dict], columns: Sequence[str]) -> str:
    def cell(value):
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_table(directory: str, name: str, rows: List[Dict], columns: Sequence[str]) -> str:
    """Writes <name>.md and <name>.csv; returns the Markdown."""
    table = markdown_table(rows, columns)
    write_atomic(os.path.join(directory, f"{name}.md"), table + "\n")
    write_csv(os.path.join(directory, f"{name}.csv"), [{c: row.get(c, "") for c in columns} for row in rows])
    return table


def bar_plot(path: str, labels: Sequence[str], values: Sequence[float], errors: Sequence[float] = None,
             ylabel: str = "test accuracy", title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(labels) + 1.5), 3.6))
    ax.bar(range(len(labels)), values, yerr=errors, capsize=4, color="#4c72b0")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    low = min(values) if values else 0
    ax.set_ylim(max(0.0, low - 0.1), min(1.0, max(values) + 0.05) if values else 1)
    ax.set_title(title)
    _save(fig, path, title, {"labels": list(labels), "values": [float(v) for v in values],
                             "errors": [float(e) for e in errors] if errors is not None else None})


def line_plot(path: str, x: Sequence, series: Dict[str, tuple], levels: Dict[str, float] = None,
              xlabel: str = "", ylabel: str = "test accuracy", title: str = "") -> None:
    """One line with error bars per series ({name: (values, errors)} over `x`), and horizontal reference
    `levels` ({name: value})."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    for name, (values, errors) in series.items():
        ax.errorbar(list(x), values, yerr=errors, marker="o", capsize=4, label=name)
    for (name, value), style in zip((levels or {}).items(), ("--", ":", "-.")):
        ax.axhline(value, linestyle=style, color="grey", label=name)
    ax.set_xticks(list(x))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    _save(fig, path, title, {"x": [float(v) for v in x],
                             "series": {n: [[float(v) for v in vs], [float(e) for e in es]]
                                        for n, (vs, es) in series.items()},
                             "levels": {n: float(v) for n, v in (levels or {}).items()}})


def _save(fig, path: str, title: str, data: dict) -> None:
    """The figure as a PNG, written atomically; the plotted numbers travel with the picture (a PNG text
    chunk, read back by `plotted`), so a reader can check them."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, metadata={"Title": title, "Description": json.dumps(data)})
    plt.close(fig)
    write_atomic_bytes(path, buffer.getvalue())


def plotted(path: str) -> dict:
    """The numbers a `bar_plot` (labels, values, errors) or `line_plot` PNG shows, read back from the file."""
    from PIL import Image

    with Image.open(path) as image:
        return json.loads(image.text["Description"])
