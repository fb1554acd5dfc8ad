"""How much of each layer a criterion or budget keeps, in network order, one line each: the picture behind Su et
al.'s second finding (random tickets with good layer ratios do as well as SNIP or GraSP).

`layer_densities` computes it for a fresh network with the project's own `Pruner` (the masks a run with
that criterion and budget starts from); `run_densities` reads it from finished runs. Both return the
numbers; `markdown`, `csv_rows` and `plots.density_plot` show them, `write` writes all three.
"""
import os
from typing import Dict, List, Optional, Sequence

from tf_tickets.errors import TicketsError
from tf_tickets.files import read_json, write_atomic, write_csv
from tf_tickets.results import labels, plots
from tf_tickets.results.runs import find_runs
from tf_tickets.run_files import SPARSITY_JSON
from tf_tickets.table_writer import markdown_table

DEFAULT_METHODS = ("smart_ratio", "snip", "grasp", "magnitude", "erk", "layerwise")


def _entry(text: str, budget: str):
    """A --methods entry as (label, criterion, budget): a budget's name alone is random scores under it
    (exactly that budget's densities); otherwise criterion[@budget], as `tf_tickets.sanity --methods`."""
    from tf_tickets import budgets, criteria
    from tf_tickets.pruning.config import parse_method_budget

    name, given = parse_method_budget(text)
    if not name:
        raise TicketsError(f"empty entry in {text!r}: write criterion[@budget] or a budget's name")
    if name in budgets.BUDGETS and given is None and name not in criteria.CRITERIA:
        return text, "random", name
    if name not in criteria.CRITERIA:
        raise TicketsError(f"unknown criterion {name!r} for per-layer densities at initialisation: give a criterion "
                           f"({', '.join(criteria.names())}) or a budget ({', '.join(budgets.names())}); a "
                           "partially-trained ticket's densities come from its runs (give run directories)")
    return (text if given or budget == "global" else f"{text}@{budget}"), name, given or budget


def layer_densities(model: str, dataset: str, sparsity: float, methods: Sequence[str] = DEFAULT_METHODS,
                    seed: int = 0, budget: str = "global", policy: str = "conv_dense", train=None,
                    data_dir: Optional[str] = None) -> Dict:
    """Per-layer kept fraction of one fresh network (`seed`) under each entry of `methods`, at `sparsity`:
    {"title", "layers": names in network order, "sizes", "densities": {method: [...]}, "sparsity":
    {method: overall sparsity}}. An entry is `criterion[@budget]` (`budget` when none is given) or a
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
    ticket and sparsity, the mean over its runs (seeds); dense and unfinished runs are left out. The runs
    must share a network."""
    runs = [r for r in find_runs(paths) if r.finished and r.pruned]
    if not runs:
        raise TicketsError(f"no finished pruned run under {', '.join(map(str, paths))}")
    source = labels.Sources(runs)
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
        line = f"{labels.label(run, named)} at {labels.sparsity_of(run, named):g}"
        groups.setdefault(line, []).append([int(r["kept"]) for r in rows])
    result = {"title": f"{first.config['model']} on {first.config['dataset']}, from runs", "layers": layers,
              "sizes": sizes, "densities": {}, "sparsity": {}}
    for line, kept in groups.items():
        _add(result, line + (f" (mean of {len(kept)} runs)" if len(kept) > 1 else ""),
             [sum(column) / len(kept) for column in zip(*kept)])
    return result


def markdown(result: Dict) -> str:
    """Layer x entry table of kept fractions, totals last; empty layers named under it."""
    methods = list(result["densities"])
    rows = [[i, name, f"{size:,}"] + [f"{result['densities'][m][i - 1]:.4f}" for m in methods]
            for i, (name, size) in enumerate(zip(result["layers"], result["sizes"]), start=1)]
    rows.append(["", "total", f"{sum(result['sizes']):,}"] + [f"{1 - result['sparsity'][m]:.4f}" for m in methods])
    table = markdown_table(rows, ["#", "layer", "size"] + methods, right=["#", "size"] + methods)
    empty = {m: [n for n, d in zip(result["layers"], result["densities"][m]) if d == 0] for m in methods}
    notes = [f"{m} keeps no weight of {', '.join(names)}" for m, names in empty.items() if names]
    return "\n".join([f"per-layer density (kept fraction), {result['title']}", "", table]
                     + ([""] + notes if notes else []))


def csv_rows(result: Dict) -> List[Dict]:
    return [{"index": i, "layer": name, "size": size,
             **{m: f"{result['densities'][m][i - 1]:.6f}" for m in result["densities"]}}
            for i, (name, size) in enumerate(zip(result["layers"], result["sizes"]), start=1)]


def write(prefix: str, result: Dict) -> List[str]:
    """PREFIX.md, PREFIX.csv and PREFIX.png (the densities drawn), each written atomically."""
    write_atomic(prefix + ".md", markdown(result) + "\n")
    write_csv(prefix + ".csv", csv_rows(result))
    plots.density_plot(prefix + ".png", result)
    return [prefix + ext for ext in (".md", ".csv", ".png")]
