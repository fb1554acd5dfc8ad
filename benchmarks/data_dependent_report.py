"""The table of benchmarks/data_dependent_lottery.sh: Lévai & Zombori's rankings against magnitude, per data set
and sparsity, with random labels at every level.

    python benchmarks/data_dependent_report.py ROOT PREFIX      # writes PREFIX.md and PREFIX.png, prints the table

ROOT holds <dataset>/ (lottery and lottery-snip) and <dataset>-blend<λ>/ (lottery-magnitude_gradient). For
each ranking and sparsity: the ticket's test accuracy (mean ± std over seeds), its difference to magnitude
with a verdict (the sanity checks' rule: a difference counts when it exceeds twice the pooled standard
deviation and half a point), and the accuracy under random labels with that check's verdict. The earlier
levels' own accuracies (trained on clean data, rewound, at every level's sparsity) give the curve of the plot.
"""
import glob
import os
import re
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)  # run from a checkout

from tf_tickets.figures import line_plot  # noqa: E402
from tf_tickets.files import read_json, write_atomic  # noqa: E402
from tf_tickets.procedures.verdicts import verdict  # noqa: E402
from tf_tickets.table_writer import markdown_table, mean_std, percent as mean_std_text  # noqa: E402

RANKINGS = [("magnitude (lottery)", "", "lottery"), ("SNIP's w·g (lottery:snip)", "", "lottery-snip"),
            ("blend λ=0.5", "-blend0.5", "lottery-magnitude_gradient"),
            ("blend λ=0.2", "-blend0.2", "lottery-magnitude_gradient")]


def accuracies(pattern):
    found = [read_json(p) for p in sorted(glob.glob(pattern))]
    return [r["test_accuracy"] for r in found if r is not None]


def collapsed(pattern):
    """The runs whose masks emptied a layer (their ticket is not a ranking's but a broken network's)."""
    found = [read_json(p) for p in sorted(glob.glob(pattern))]
    return [r for r in found if r is not None and (r.get("collapsed") or {}).get("empty")]


def percent(values):
    return mean_std_text(*mean_std(values)) if values else "not run"


def compared(values, baseline):
    """values against baseline: "+0.31 (better)" / "(worse)" / "(same)" by the verdict rule."""
    if len(values) < 2 or len(baseline) < 2:
        return "n/a"
    better = verdict(values, baseline)["verdict"].startswith("uses")
    worse = verdict(baseline, values)["verdict"].startswith("uses")
    word = "better" if better else "worse" if worse else "same"
    return f"{100 * (mean_std(values)[0] - mean_std(baseline)[0]):+.2f} ({word})"


def dataset_section(root, dataset):
    sparsities = sorted({float(m.group(1)) for p in glob.glob(os.path.join(root, dataset, "lottery", "sparsity*"))
                         if (m := re.search(r"sparsity([0-9.]+)$", p))})
    rows, curves = [], {}
    for sparsity in sparsities:
        cell = f"sparsity{sparsity:g}"
        baseline = accuracies(os.path.join(root, dataset, "lottery", cell, "plain", "seed*", "results.json"))
        for label, suffix, slug in RANKINGS:
            here = os.path.join(root, dataset + suffix, slug, cell)
            plain = accuracies(os.path.join(here, "plain", "seed*", "results.json"))
            labels = accuracies(os.path.join(here, "random_labels", "seed*", "results.json"))
            check = verdict(plain, labels)["verdict"] if len(plain) > 1 and len(labels) > 1 else "n/a"
            broken = {part: collapsed(os.path.join(here, part, "seed*", "results.json"))
                      for part in ("plain", "random_labels")}
            if broken["random_labels"]:
                empty = sorted({name for r in broken["random_labels"] for name in r["collapsed"]["empty"]})
                check = f"n/a: layer collapse in {len(broken['random_labels'])} of {len(labels)} ({', '.join(empty)} empty)"
            rows.append({"sparsity": f"{100 * sparsity:.1f}%", "ranking": label,
                         "test accuracy (%)": percent(plain) + (" †" if broken["plain"] else ""),
                         "vs magnitude": "" if slug == "lottery" else compared(plain, baseline),
                         "random labels (%)": percent(labels) + (" †" if broken["random_labels"] else ""),
                         "random labels: verdict": check})
    for label, suffix, slug in RANKINGS:  # every level's own ticket, trained on clean data
        levels = {}
        for path in glob.glob(os.path.join(root, dataset + suffix, slug, "rate*", "none", "seed*", "level*",
                                           "results.json")):
            config = read_json(os.path.join(os.path.dirname(path), "config.json"))
            levels.setdefault(config["pruning"]["sparsity"], []).append(read_json(path)["test_accuracy"])
        if levels:
            x = sorted(levels)
            curves[label] = ([mean_std(levels[s])[0] for s in x], [mean_std(levels[s])[1] for s in x], x)
    dense = accuracies(os.path.join(root, dataset, "pretrain", "clean", "seed*", "results.json"))
    columns = ["sparsity", "ranking", "test accuracy (%)", "vs magnitude", "random labels (%)", "random labels: verdict"]
    text = [f"## {dataset} (dense: {percent(dense)})", "", markdown_table(rows, columns), ""]
    if any("†" in row["test accuracy (%)"] + row["random labels (%)"] for row in rows):
        text += ["† some of the cell's runs collapsed: the masks left a layer without weights (the run's "
                 "results.json, `collapsed`)", ""]
    return "\n".join(text), curves, dense


def main(root, prefix):
    datasets = sorted(d for d in os.listdir(root) if "-blend" not in d and os.path.isdir(os.path.join(root, d)))
    parts, plots = [], []
    for dataset in datasets:
        text, curves, dense = dataset_section(root, dataset)
        parts.append(text)
        if curves:
            x = sorted(set.intersection(*(set(v[2]) for v in curves.values())))  # levels every ranking reached
            series = {k: tuple([m for m, s in zip(v[i], v[2]) if s in x] for i in (0, 1)) for k, v in curves.items()}
            path = f"{prefix}-{dataset}.png"
            line_plot(path, [f"{100 * s:.0f}" for s in x], series,
                      levels={"dense": mean_std(dense)[0]} if dense else None, xlabel="sparsity (%)",
                      title=f"LeNet-300-100, {dataset}: each level's ticket")
            plots.append(path)
    text = "\n".join(parts)
    write_atomic(prefix + ".md", text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: data_dependent_report.py ROOT PREFIX")
    main(*sys.argv[1:3])
