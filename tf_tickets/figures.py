"""The project's pictures as PNG files, written atomically: bars, lines with error bars, an overlap heat map.

A figure that `save` is given its numbers carries them in the PNG (a text chunk, read back by `plotted`), so
that a reader can check what is drawn. Imports nothing of the project but `files` (matplotlib loads on the
first picture), so that every layer may draw.
"""
import io
import json
from typing import Dict, Optional, Sequence

from tf_tickets.files import write_atomic_bytes


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str, title: Optional[str] = None, data: Optional[dict] = None, dpi: int = 120) -> None:
    """The figure as a PNG, written atomically and closed; with `data`, the plotted numbers travel with the
    picture under `title` (read back by `plotted`)."""
    plt = pyplot()
    fig.tight_layout()
    buffer = io.BytesIO()
    metadata = {"Title": title, "Description": json.dumps(data)} if data is not None else None
    fig.savefig(buffer, format="png", dpi=dpi, metadata=metadata)
    plt.close(fig)
    write_atomic_bytes(path, buffer.getvalue())


def plotted(path: str) -> dict:
    """The numbers a PNG written by `save` with data shows (a `bar_plot`'s labels, values and errors, a
    `line_plot`'s series, ...), read back from the file."""
    from PIL import Image

    with Image.open(path) as image:
        return json.loads(image.text["Description"])


def bar_plot(path: str, labels: Sequence[str], values: Sequence[float], errors: Sequence[float] = None,
             ylabel: str = "test accuracy", title: str = "") -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(labels) + 1.5), 3.6))
    ax.bar(range(len(labels)), values, yerr=errors, capsize=4, color="#4c72b0")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    low = min(values) if values else 0
    ax.set_ylim(max(0.0, low - 0.1), min(1.0, max(values) + 0.05) if values else 1)
    ax.set_title(title)
    save(fig, path, title, {"labels": list(labels), "values": [float(v) for v in values],
                            "errors": [float(e) for e in errors] if errors is not None else None})


def line_plot(path: str, x: Sequence, series: Dict[str, tuple], levels: Dict[str, float] = None,
              xlabel: str = "", ylabel: str = "test accuracy", title: str = "") -> None:
    """One line with error bars per series ({name: (values, errors)} over `x`), and horizontal reference
    `levels` ({name: value})."""
    plt = pyplot()
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
    save(fig, path, title, {"x": [float(v) for v in x],
                            "series": {n: [[float(v) for v in vs], [float(e) for e in es]]
                                       for n, (vs, es) in series.items()},
                            "levels": {n: float(v) for n, v in (levels or {}).items()}})


def heat_map(path: str, matrix: Dict) -> None:
    """A mask overlap matrix (`masks.overlap_matrix`: names, iou, relative) as colours of the ratio to chance,
    each pair's IoU and ratio written in its square."""
    import numpy as np

    plt = pyplot()
    names = matrix["names"]
    values = np.array(matrix["relative"], dtype=float)
    np.fill_diagonal(values, np.nan)  # a mask against itself: left grey, so the colours show the pairs
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2.5, 1.0 * len(names) + 1.8))
    cmap = plt.get_cmap("viridis").with_extremes(bad="lightgrey")
    top = max(2.0, float(np.nanmax(values)) if np.isfinite(values).any() else 2.0)
    image = ax.imshow(values, cmap=cmap, vmin=1.0, vmax=top)  # colour 1 = chance, for any set of masks
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            text = "self" if i == j else f"{matrix['iou'][i][j]:.2f}\n×{value:.1f}"
            light = i == j or value > 1 + 0.6 * (top - 1)  # viridis is light at the top of its range
            ax.text(j, i, text, ha="center", va="center", color="k" if light else "w", fontsize=8)
    fig.colorbar(image, ax=ax, label="IoU / chance")
    ax.set_title("mask overlap: IoU and its ratio to chance")
    save(fig, path, dpi=110)
