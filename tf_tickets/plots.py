"""Pictures of results: accuracy against sparsity per method, and per-layer density under several methods.

The per-layer density picture explains Su et al.'s second finding (random tickets with good layer
ratios do as well as SNIP or GraSP): how much of each layer a method keeps, in network order, one line
per method. `layer_densities` computes it for a fresh network with the project's own `Pruner` (the masks
a run with that criterion and budget starts from); `run_densities` reads it from finished runs. Both
return the numbers; the plots draw them and carry them in the PNG (`reporting.plotted` reads them back).
"""
import math
import os
from typing import Dict, List, Optional, Sequence

from tf_tickets import reporting, tables
from tf_tickets.errors import TicketsError
from tf_tickets.files import read_json
from tf_tickets.run_files import SPARSITY_JSON

DEFAULT_METHODS = ("smart_ratio", "snip", "grasp", "magnitude", "erk", "layerwise")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_plot(path: str, report: "tables.Report") -> Dict:
    """Test accuracy (%) against sparsity, one line per method (mean, with a band and bars of one std),
    the dense network as a horizontal line; one panel per model and dataset. Returns the numbers drawn."""
    plt = _pyplot()
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
            if tables.is_dense(method):
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
    reporting._save(fig, path, "test accuracy against sparsity", drawn)
    return drawn


def _entry(text: str, budget: str):
    """A --methods entry as (label, criterion, budget): a budget's name alone is random scores under it
    (exactly that budget's densities); otherwise criterion[@budget], as `tf_tickets.sanity --methods`."""
    from tf_tickets import budgets, criteria
    from tf_tickets.pruning.config import parse_method_budget

    name, given = parse_method_budget(text)
    if not name:
        raise TicketsError(f"empty method in {text!r}: write criterion[@budget] or a budget's name")
    if name in budgets.BUDGETS and given is None and name not in criteria.CRITERIA:
        return text, "random", name
    if name not in criteria.CRITERIA:
        raise TicketsError(f"unknown method {name!r} for per-layer densities at initialisation: give a criterion "
                           f"({', '.join(criteria.names())}) or a budget ({', '.join(budgets.names())}); a "
                           "partially-trained ticket's densities come from its runs (give run directories)")
    return (text if given or budget == "global" else f"{text}@{budget}"), name, given or budget


def layer_densities(model: str, dataset: str, sparsity: float, methods: Sequence[str] = DEFAULT_METHODS,
                    seed: int = 0, budget: str = "global", policy: str = "conv_dense", train=None,
                    data_dir: Optional[str] = None) -> Dict:
    """Per-layer kept fraction of one fresh network (`seed`) under each method, at `sparsity`:
    {"title", "layers": names in network order, "sizes", "densities": {method: [...]}, "sparsity":
    {method: overall sparsity}}. A method is `criterion[@budget]` (`budget` when none is given) or a
    budget's name (random scores under it: the budget's own densities). Data-dependent criteria score the
    class-balanced batch that a training run with `train` (a TrainConfig; default: its defaults with
    `seed`) would score; the data is read only for them."""
    from tf_tickets import criteria, models
    from tf_tickets.data import datasets, pipeline, specs
    from tf_tickets.pruning import targets, wrap
    from tf_tickets.pruning.config import PruningConfig
    from tf_tickets.training.config import TrainConfig

    entries = [_entry(text, budget) for text in methods]
    if not entries:
        raise TicketsError("--methods is empty: name at least one, e.g. smart_ratio,snip")
    configs = [(label, PruningConfig(criterion, sparsity, chosen, policy)) for label, criterion, chosen in entries]
    datasets.DATASETS.lookup(dataset)
    models.MODELS.lookup(model)
    train = train or TrainConfig(seed=seed)
    needs_data = any(criteria.make(c.criterion).needs_data for _, c in configs)
    data = datasets.load(dataset, data_dir) if needs_data else None
    shape, classes = ((data.input_shape, data.num_classes) if data is not None else
                      (specs.SPECS[dataset].image_shape, specs.SPECS[dataset].num_classes))
    wrapped = wrap(models.build(model, shape, classes, seed=train.seed), policy)
    scoring = pipeline.train_dataset(data, train.batch_size, train.order_seed, augment=train.augment) if needs_data \
        else None
    found = targets(wrapped)
    result = {"title": f"{model} on {dataset}, sparsity {sparsity:g}, seed {train.seed}",
              "layers": [t.key for t in found], "sizes": [int(t.mask.shape.num_elements()) for t in found],
              "densities": {}, "sparsity": {}}
    for label, config in configs:
        pruner = config.pruner(train.seed)
        masks = pruner.masks(wrapped, data=scoring if pruner.scorer.needs_data else None)
        kept = [int(masks[key].sum()) for key in result["layers"]]
        _add(result, label, kept)
    return result


def _add(result: Dict, label: str, kept: List[float]) -> None:
    sizes = result["sizes"]
    result["densities"][label] = [k / n for k, n in zip(kept, sizes)]
    result["sparsity"][label] = 1.0 - sum(kept) / sum(sizes)


def run_densities(paths: Sequence[str]) -> Dict:
    """The same numbers read from finished pruned runs (their sparsity.json) under `paths`: one line per
    method and sparsity, the mean over its runs (seeds); dense and unfinished runs are left out. The runs
    must share a network."""
    runs = [r for r in tables.find_runs(paths) if r.finished and r.pruned]
    if not runs:
        raise TicketsError(f"no finished pruned run under {', '.join(map(str, paths))}")
    source = tables.Sources(runs)
    groups: Dict[str, List] = {}
    layers = sizes = first = None
    for run in runs:
        rows = read_json(os.path.join(run.path, SPARSITY_JSON)) or run.results.get("sparsity_report")
        if not rows:
            raise TicketsError(f"{run.name} has no {SPARSITY_JSON}: not a finished pruned run")
        if first is None:
            layers, sizes, first = [r["name"] for r in rows], [int(r["size"]) for r in rows], run
        elif [r["name"] for r in rows] != layers or [int(r["size"]) for r in rows] != sizes:
            raise TicketsError(f"{run.name} and {first.name} are not the same network: give runs of one model")
        named = source.seen_from(run)
        label = f"{tables.label(run.config, named)} at {tables.sparsity_of(run, named):g}"
        groups.setdefault(label, []).append([int(r["kept"]) for r in rows])
    result = {"title": f"{first.config['model']} on {first.config['dataset']}, from runs", "layers": layers,
              "sizes": sizes, "densities": {}, "sparsity": {}}
    for label, kept in groups.items():
        _add(result, label + (f" (mean of {len(kept)} runs)" if len(kept) > 1 else ""),
             [sum(column) / len(kept) for column in zip(*kept)])
    return result


def density_markdown(result: Dict) -> str:
    """Layer x method table of kept fractions, totals last; empty layers named under it."""
    methods = list(result["densities"])
    lines = [f"per-layer density (kept fraction), {result['title']}", "",
             "| # | layer | size | " + " | ".join(methods) + " |", "|---:|---|---:|" + "---:|" * len(methods)]
    for i, (name, size) in enumerate(zip(result["layers"], result["sizes"]), start=1):
        lines.append(f"| {i} | {name} | {size:,} | "
                     + " | ".join(f"{result['densities'][m][i - 1]:.4f}" for m in methods) + " |")
    lines.append(f"| | total | {sum(result['sizes']):,} | "
                 + " | ".join(f"{1 - result['sparsity'][m]:.4f}" for m in methods) + " |")
    empty = {m: [n for n, d in zip(result["layers"], result["densities"][m]) if d == 0] for m in methods}
    notes = [f"{m} keeps no weight of {', '.join(names)}" for m, names in empty.items() if names]
    return "\n".join(lines + ([""] + notes if notes else []))


def density_csv_rows(result: Dict) -> List[Dict]:
    return [{"index": i, "layer": name, "size": size,
             **{m: f"{result['densities'][m][i - 1]:.6f}" for m in result["densities"]}}
            for i, (name, size) in enumerate(zip(result["layers"], result["sizes"]), start=1)]


def density_plot(path: str, result: Dict) -> None:
    """Kept fraction per layer (network order, log scale), one line per method, overall sparsity in the
    legend; an empty layer is an x at the bottom (log scale has no 0), named by `density_markdown`."""
    plt = _pyplot()
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
    reporting._save(fig, path, f"per-layer density: {result['title']}", result)
