"""The siblings experiment's report: accuracies of one-shot vs union vs intersection for k = 2..K, and how
much the siblings' masks overlap (intersection over union, against chance per layer), as tables and plots.

The siblings' masks are those one-shot pruning gives each sibling's final weights (the run's criterion
and budget at its sparsity); they are written as mask files too, for `python -m tf_tickets.overlap`.
"""
import dataclasses
import os
from typing import Dict, List

import numpy as np

from tf_tickets import figures, files, masks, runner, table_writer
from tf_tickets.errors import TicketsError
from tf_tickets.pruning.report import collapse_line
from tf_tickets.run_files import FINAL_WEIGHTS
from tf_tickets.runs import Ref
from tf_tickets.runs.mask_sources import rankings


@dataclasses.dataclass
class SiblingsReport:
    rows: List[Dict]  # one per ticket: ticket, n, accuracy ("mean ± std" %), mean, std, density[, note]
    table: str
    overlap_table: str
    layer_table: str
    overlap: Dict  # mean over seeds of the pairwise matrices (names, iou, chance, relative)
    directory: str

    def __str__(self) -> str:
        return "\n\n".join([self.table, "mask overlap of the siblings (mean over seeds):", self.overlap_table,
                            "per layer (mean over seeds and pairs):", self.layer_table,
                            f"(tables, plots and the siblings' mask files in {self.directory})"])


def sibling_masks(plan, data, seed: int) -> Dict[str, masks.MaskSet]:
    """Each sibling's one-shot masks at the plan's sparsity, from its final weights."""
    spec = plan.stages[plan.tickets[(seed, "one_shot")]].spec
    run = runner.Run(spec, data)
    model = runner.build_model(run)
    files = [Ref.at(os.path.join(plan.path(name), FINAL_WEIGHTS)) for name in plan.siblings[seed]]
    density = 1.0 - plan.sparsity
    return {f"sibling{i}": r.masks(density) for i, r in enumerate(rankings(run, model, files), start=1)}


def accuracy_rows(plan) -> List[Dict]:
    missing = [name for name in plan.stages if plan.results(name) is None]
    if missing:
        raise TicketsError(f"{len(missing)} runs have not finished, e.g. {missing[0]}: run them first")
    dense = [plan.results(name)["test_accuracy"] for seed in plan.seeds for name in plan.siblings[seed]]
    rows = [_row("dense siblings (all)", dense)]
    for ticket in plan.ticket_names():
        results = [plan.results(plan.tickets[(seed, ticket)]) for seed in plan.seeds]
        row = _row(ticket, [r["test_accuracy"] for r in results])
        row["density"] = f"{np.mean([r['density'] for r in results]):.4f}"
        collapsed = [seed for seed, r in zip(plan.seeds, results) if collapse_line(r.get("sparsity_report") or [])]
        if collapsed:
            row["note"] = f"layer collapse in seeds {', '.join(map(str, collapsed))} (see sparsity.md)"
        rows.append(row)
    return rows


def _row(name, accuracies):
    mean, std = table_writer.mean_std(accuracies)
    return {"ticket": name, "n": len(accuracies), "accuracy": table_writer.percent(mean, std),
            "mean": mean, "std": std}


def mean_matrix(matrices) -> Dict:
    return {"names": matrices[0]["names"],
            **{key: np.mean([m[key] for m in matrices], axis=0).tolist() for key in ("iou", "chance", "relative")}}


def layer_rows(mask_sets: List[Dict[str, masks.MaskSet]]) -> List[Dict]:
    """Per layer, the mean over seeds and sibling pairs of IoU, its chance level and their ratio; and all layers."""
    per_layer: Dict[str, List] = {}
    for named in mask_sets:
        names = list(named)
        for p in range(len(names)):
            for q in range(p + 1, len(names)):
                got = masks.overlap(named[names[p]], named[names[q]])
                chance = masks.chance_overlap(named[names[p]], named[names[q]])
                for key in list(got["layers"]) + ["all layers"]:
                    g, c = (got, chance) if key == "all layers" else (got["layers"][key], chance["layers"][key])
                    per_layer.setdefault(key, []).append((g["iou"], c["iou"]))
    rows = []
    for key, pairs in per_layer.items():
        iou, chance = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
        rows.append({"layer": key, "IoU": f"{iou:.4f}", "chance": f"{chance:.4f}",
                     "ratio": f"{iou / chance:.2f}" if chance else "-"})
    return rows


def gather(plan, data) -> SiblingsReport:
    """Writes siblings.md/.csv/.png, overlap.md/.json/.png, layers.md/.csv and the siblings' mask files in
    the plan's table directory; returns the report."""
    rows = accuracy_rows(plan)
    directory = plan.table_dir()
    columns = ["ticket", "n", "accuracy", "density"] + (["note"] if any("note" in r for r in rows) else [])
    table = table_writer.write_table(directory, "siblings", rows, columns)
    by_seed = []
    for seed in plan.seeds:
        named = sibling_masks(plan, data, seed)
        for name, mask_set in named.items():
            masks.save(mask_set, os.path.join(directory, "masks", f"seed{seed}-{name}.npz"))
        by_seed.append(named)
    matrix = mean_matrix([masks.overlap_matrix(named) for named in by_seed])
    overlap_table = "\n\n".join([
        "intersection over union:", table_writer.matrix_table(matrix["names"], matrix["iou"], "{:.4f}".format),
        "ratio to chance (random masks with each layer's densities):",
        table_writer.matrix_table(matrix["names"], matrix["relative"], "{:.2f}".format, diagonal=False)])
    files.write_atomic(os.path.join(directory, "overlap.md"), overlap_table + "\n")
    files.write_json(os.path.join(directory, "overlap.json"), matrix)
    figures.heat_map(os.path.join(directory, "overlap.png"), matrix)
    layer_table = table_writer.write_table(directory, "layers", layer_rows(by_seed),
                                           ["layer", "IoU", "chance", "ratio"])
    k_plot(plan, rows, os.path.join(directory, "siblings.png"))
    return SiblingsReport(rows, table, overlap_table, layer_table, matrix, directory)


def k_plot(plan, rows, path) -> None:
    """Accuracy of the union and the intersection against k, with one-shot and the dense siblings as lines."""
    by_name = {r["ticket"]: r for r in rows}
    ks = list(range(2, plan.k + 1))
    series = {op: ([by_name[f"{op}{k}"]["mean"] for k in ks], [by_name[f"{op}{k}"]["std"] for k in ks])
              for op in ("union", "intersection")}
    levels = {"one-shot": by_name["one_shot"]["mean"], "dense": by_name["dense siblings (all)"]["mean"]}
    figures.line_plot(path, ks, series, levels, xlabel="siblings combined (k)",
                      title=f"siblings, pretrain {plan.pretrain}, sparsity {plan.sparsity:g}")
