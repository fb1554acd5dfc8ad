"""Pictures of results: accuracy against sparsity per ticket, per-layer density under several criteria or budgets, and
the sanity checks of many grids side by side. Each returns or carries the numbers it draws (`figures.plotted`
reads them back where the PNG keeps them)."""
import math
from typing import Dict, List, Tuple

from tf_tickets import figures
from tf_tickets.results.labels import is_dense


def accuracy_plot(path: str, report) -> Dict:
    """Test accuracy (%) against sparsity, one line per ticket (mean, with a band and bars of one std),
    the dense network as a horizontal line; one panel per model and dataset of a `tables.Report`. Returns
    the numbers drawn."""
    plt = figures.pyplot()
    panels = report.tables
    width = max(5.5, 1.1 * max(len(t.sparsities) for t in panels) + 4.5)
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), 4.4), squeeze=False)
    drawn = {}
    for ax, table in zip(axes[0], panels):
        x = list(range(len(table.sparsities)))
        series, dense = {}, {}
        for method in table.methods:
            cells = [table.cell(method, s) for s in table.sparsities]
            stats = [c.mean_std() if c is not None and c.n else (math.nan, math.nan) for c in cells]
            means, stds = [100 * m for m, _ in stats], [100 * s for _, s in stats]
            if is_dense(method):
                dense[method] = [means[0], stds[0]]
                line = ax.axhline(means[0], linestyle=":" if " / " in method else "--", color="grey", label=method)
                ax.axhspan(means[0] - stds[0], means[0] + stds[0], color=line.get_color(), alpha=0.12)
                continue
            series[method] = [means, stds]
            style = "--" if " / " in method else "-"
            drawn_line = ax.errorbar(x, means, yerr=stds, marker="o", capsize=3, linestyle=style, label=method)
            low, high = [m - s for m, s in zip(means, stds)], [m + s for m, s in zip(means, stds)]
            ax.fill_between(x, low, high, alpha=0.12, color=drawn_line.lines[0].get_color())
        ax.set_xticks(x, [f"{s:g}" for s in table.sparsities])
        ax.set_xlim(-0.4, len(x) - 0.6)
        ax.set_xlabel("sparsity")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{table.model} on {table.dataset}")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        drawn[f"{table.model} on {table.dataset}"] = {"sparsities": table.sparsities, "series": series,
                                                      "dense": dense}
    figures.save(fig, path, "test accuracy against sparsity", drawn)
    return drawn


def density_plot(path: str, result: Dict) -> None:
    """Kept fraction per layer (network order, log scale), one line per criterion or budget, overall sparsity in the
    legend; an empty layer is an x at the bottom (log scale has no 0), named by `densities.markdown`."""
    plt = figures.pyplot()
    layers = result["layers"]
    fig, ax = plt.subplots(figsize=(max(6.5, 0.32 * len(layers) + 4.5), 4.4))
    x = list(range(1, len(layers) + 1))
    positive = [v for values in result["densities"].values() for v in values if v > 0]
    floor = min(positive, default=1.0) / 2  # where an empty layer is drawn (log scale has no 0): an x
    for method, values in result["densities"].items():
        line, = ax.plot(x, [v if v > 0 else math.nan for v in values], marker="o", markersize=4,
                        label=f"{method} (sparsity {result['sparsity'][method]:.4f})")
        empty = [i for i, v in zip(x, values) if v == 0]
        if empty:
            ax.plot(empty, [floor] * len(empty), "x", markersize=8, color=line.get_color())
    if any(v == 0 for values in result["densities"].values() for v in values):
        ax.plot([], [], "x", color="black", label="a layer left empty")
    ax.set_yscale("log")
    if len(layers) <= 40:
        ax.set_xticks(x, [f"{i} {name}" for i, name in zip(x, layers)], rotation=60, ha="right", fontsize=7)
    ax.set_xlabel("layer (network order)")
    ax.set_ylabel("kept fraction (density)")
    ax.set_title(f"per-layer density\n{result['title']}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figures.save(fig, path, f"per-layer density: {result['title']}", result)


def checks_plot(path: str, bars: Dict[float, List[Tuple[str, float, float]]]) -> None:
    """Per sparsity, one panel of bars: (label, mean %, std %) of each ticket, plain (blue) and under each
    check (orange, "ticket / check")."""
    plt = figures.pyplot()
    sparsities = sorted(bars)
    fig, axes = plt.subplots(1, len(sparsities), figsize=(7 * len(sparsities), 4.5), squeeze=False)
    for ax, sparsity in zip(axes[0], sparsities):
        labels, means, stds = zip(*bars[sparsity]) if bars[sparsity] else ((), (), ())
        colors = ["#4c72b0" if "/" not in label else "#dd8452" for label in labels]
        ax.bar(range(len(labels)), means, yerr=stds, capsize=3, color=colors)
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("test accuracy (%)")
        if means:  # zoom on the bars' range: differences of a point must be visible
            ax.set_ylim(max(0.0, min(means) - 2 * max(stds) - 1), min(100.0, max(means) + 2 * max(stds) + 0.5))
        ax.set_title(f"sparsity {sparsity:g} (blue: method, orange: under a check)")
    figures.save(fig, path, dpi=110)
