"""Collects the sanity tables of a grid root into one Markdown report and one summary plot.

    python tools/collect_sanity.py RUNS_ROOT OUT_PREFIX

writes OUT_PREFIX.md (every method's table, per sparsity, with verdicts) and OUT_PREFIX.png (each
method's accuracy, plain and under each check, per sparsity).
"""
import csv
import glob
import io
import os
import sys

from tf_tickets.files import write_atomic, write_atomic_bytes


def read_tables(root):
    tables = {}
    for path in sorted(glob.glob(os.path.join(root, "*", "sparsity*", "sanity.csv"))):
        method = path.split(os.sep)[-3]
        sparsity = float(path.split(os.sep)[-2].replace("sparsity", ""))
        with open(path) as f:
            tables[(method, sparsity)] = list(csv.DictReader(f))
    return tables


def plot(tables, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sparsities = sorted({s for _, s in tables})
    methods = sorted({m for m, _ in tables})
    fig, axes = plt.subplots(1, len(sparsities), figsize=(7 * len(sparsities), 4.5), squeeze=False)
    for ax, sparsity in zip(axes[0], sparsities):
        labels, means, stds = [], [], []
        for method in methods:
            for row in tables.get((method, sparsity), []):
                if row["check"].startswith("(dense"):
                    continue
                mean, std = (float(v) for v in row["accuracy"].split(" ± "))
                name = "" if row["check"].startswith("none") else f" / {row['check']}"
                labels.append(method + name)
                means.append(mean)
                stds.append(std)
        colors = ["#4c72b0" if "/" not in label else "#dd8452" for label in labels]
        ax.bar(range(len(labels)), means, yerr=stds, capsize=3, color=colors)
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("test accuracy (%)")
        if means:  # zoom on the bars' range: differences of a point must be visible
            ax.set_ylim(max(0.0, min(means) - 2 * max(stds) - 1), min(100.0, max(means) + 2 * max(stds) + 0.5))
        ax.set_title(f"sparsity {sparsity:g} (blue: method, orange: under a check)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    write_atomic_bytes(path, buffer.getvalue())


def main(root, prefix):
    tables = read_tables(root)
    if not tables:
        sys.exit(f"collect_sanity: no sanity tables under {root}")
    lines = []
    for (method, sparsity), rows in sorted(tables.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines += [f"### {method}, sparsity {sparsity:g}", "", "| check | n | accuracy (%) | drop | verdict |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['check']} | {r['n']} | {r['accuracy']} | {r['drop']} | {r['verdict']} |" for r in rows]
        lines.append("")
    write_atomic(prefix + ".md", "\n".join(lines))
    plot(tables, prefix + ".png")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
