"""The tables of benchmarks/jackpot_experiment.py: one per network, from the cells its runs left.

    python benchmarks/jackpot_report.py OUT_DIR [OUT_DIR ...] PREFIX      # writes PREFIX.md and prints it

Per network and sparsity: test and train accuracy (mean ± std over seeds) of the dense network, magnitude
pruning without retraining (with and without BatchNorm recalibration), the jackpot, learning-rate rewinding
and TF-MOT's gradual magnitude pruning; the jackpot's gap to retraining with the verdict rule of the sanity
checks (a difference counts when it exceeds twice the pooled standard deviation and half a point); then
the search-length sweep and the frozen-BatchNorm search (seed 0, first sparsity).
"""
import glob
import os
import re
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)  # run from a checkout

from tf_tickets.files import read_json, write_atomic  # noqa: E402
from tf_tickets.procedures.verdicts import verdict  # noqa: E402
from tf_tickets.table_writer import markdown_table, mean_std, percent as mean_std_text  # noqa: E402

CELLS = [("magnitude, no retraining", "magnitude.json"),
         ("magnitude, BatchNorm recalibrated", "magnitude_recalibrated.json"),
         ("jackpot (no weight trained)", "jackpot/accuracy.json"),
         ("learning-rate rewinding", "lr_rewinding/accuracy.json"),
         ("gradual magnitude pruning (TF-MOT)", "gradual.json")]


def percent(values):
    if len(values) == 1:
        return f"{100 * values[0]:.2f} (one seed)"
    return mean_std_text(*mean_std(values)) if values else "not run"


def gap(jackpot, retrained):
    """The jackpot against retraining, by the sanity checks' rule."""
    if len(jackpot) < 2 or len(retrained) < 2:
        return "n/a"
    below, above = verdict(retrained, jackpot), verdict(jackpot, retrained)
    word = ("below" if below["verdict"].startswith("uses") else
            "above" if above["verdict"].startswith("uses") else "matches")
    return f"{100 * (mean_std(jackpot)[0] - mean_std(retrained)[0]):+.2f} ({word})"


def network_table(out):
    seeds = sorted(glob.glob(os.path.join(out, "dense", "seed*", "accuracy.json")))
    dense = [read_json(p) for p in seeds]
    sparsities = sorted({float(m.group(1)) for p in glob.glob(os.path.join(out, "sparsity*"))
                         if (m := re.search(r"sparsity([0-9.]+)$", p))})
    rows = [["dense", "", percent([d["test"] for d in dense]), percent([d["train"] for d in dense]), ""]]
    sweep = []
    for sparsity in sparsities:
        found = {label: [read_json(p) for p in sorted(glob.glob(os.path.join(out, f"sparsity{sparsity:g}", "seed*",
                                                                               name)))]
                 for label, name in CELLS}
        found = {label: [c for c in cells if c is not None] for label, cells in found.items()}
        jackpot = [c["test"] for c in found["jackpot (no weight trained)"]]
        for label, cells in found.items():
            if label.startswith("magnitude, BatchNorm") and cells and cells[0].get("batch_norm") is False:
                continue  # no BatchNorm to recalibrate
            other = [c["test"] for c in cells]
            compared = gap(jackpot, other) if label in ("learning-rate rewinding",
                                                         "gradual magnitude pruning (TF-MOT)") else ""
            rows.append([label, f"{100 * sparsity:g}%", percent(other), percent([c["train"] for c in cells
                                                                                  if "train" in c]), compared])
        here = os.path.join(out, f"sparsity{sparsity:g}", "seed0")
        for path in sorted(glob.glob(os.path.join(here, "jackpot_*", "accuracy.json"))):
            config = read_json(os.path.join(os.path.dirname(path), "config.json"))
            results = read_json(os.path.join(os.path.dirname(path), "results.json"))
            kind = os.path.basename(os.path.dirname(path)).replace("jackpot_", "")
            sweep.append([f"{100 * sparsity:g}%", kind, config["training_steps"], f"{results['epochs']}",
                          f"{100 * read_json(path)['test']:.2f}"])
    table = as_markdown(["ticket", "sparsity", "test accuracy (%)", "train accuracy (%)",
                         "jackpot minus this (points)"], rows)
    if sweep:
        table += "\n\nSeed 0, other searches (the budget's search is in the table above):\n\n" + as_markdown(
            ["sparsity", "search", "steps", "epochs", "test accuracy (%)"], sweep)
    return table


def as_markdown(columns, rows):
    return markdown_table([dict(zip(columns, row)) for row in rows], columns)


def main(*args):
    *outs, prefix = args
    parts = []
    for out in outs:
        dense = read_json(os.path.join(out, "dense", "seed0", "config.json")) or {}
        parts += [f"## {dense.get('model', os.path.basename(out))}", "", network_table(out), ""]
    text = "\n".join(parts)
    write_atomic(prefix + ".md", text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: jackpot_report.py OUT_DIR [OUT_DIR ...] PREFIX")
    main(*sys.argv[1:])
