"""How much do masks agree? `python -m tf_tickets.overlap RUN_OR_MASKFILE RUN_OR_MASKFILE [...] [--out=DIR]`.

Each argument is a run directory (its masks.npz) or a mask file; their layers are matched by name, or by
position where the names differ (networks built in one process: dense_4 against dense_8), and the per-layer
table uses the first one's names. Prints the pairwise overlap matrix:
intersection over union of the kept weights, the same for random masks with each layer's densities
(chance, summed per layer: under a non-uniform budget one global density would overstate "above
chance"), and their ratio; with two masks, the same per layer. `--out` also writes overlap.md,
overlap.json and a heat-map, overlap.png.
"""
import io
import os


from tf_tickets import cli, files, masks, run_files
from tf_tickets.errors import TicketsError

TAKES_ARGUMENTS = True  # the runs or mask files to compare
OUT = cli.OUT  # the directory for overlap.md, overlap.json and overlap.png


def load(path: str):
    if os.path.isdir(path):
        found = os.path.join(path, run_files.MASKS)
        if not os.path.isfile(found):
            raise TicketsError(f"{path} holds no {run_files.MASKS}: not a finished pruned run")
        return masks.load(found)
    return masks.load(path)


def labels(paths):
    """Short names for the tables: the fewest trailing path parts (no ".npz", no "masks.npz") that tell
    the paths apart."""
    parts = [[p for p in os.path.normpath(path).split(os.sep) if p] for path in paths]
    parts = [ps[:-1] if ps and ps[-1] == run_files.MASKS else ps for ps in parts]
    parts = [ps[:-1] + [ps[-1][:-4]] if ps and ps[-1].endswith(".npz") else ps for ps in parts]
    for depth in range(1, max(len(ps) for ps in parts) + 1):
        names = ["/".join(ps[-depth:]) for ps in parts]
        if len(set(names)) == len(names):
            return names
    return [f"{i}: {path}" for i, path in enumerate(paths, start=1)]  # the same file given twice


def matrix_table(names, values, fmt, diagonal: bool = True) -> str:
    """A Markdown matrix; `diagonal=False` leaves the diagonal (a mask against itself) blank."""
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {name} | " + " | ".join("-" if i == j and not diagonal else fmt(v) for j, v in enumerate(row)) + " |"
              for i, (name, row) in enumerate(zip(names, values))]
    return "\n".join(lines)


def layer_table(a, b) -> str:
    got, chance = masks.overlap(a, b), masks.chance_overlap(a, b)
    lines = ["| layer | IoU | chance | ratio |", "|---|---:|---:|---:|"]
    for key, row in got["layers"].items():
        expected = chance["layers"][key]["iou"]
        ratio = row["iou"] / expected if expected else 1.0
        lines.append(f"| {key} | {row['iou']:.4f} | {expected:.4f} | {ratio:.2f} |")
    return "\n".join(lines)


def heat_map(path: str, matrix) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import numpy as np

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
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    files.write_atomic_bytes(path, buffer.getvalue())


def report(paths) -> dict:
    if len(paths) < 2:
        raise TicketsError("give at least two runs or mask files to compare")
    # Layers matched by name, or by position where the names differ (masks.match_layers): keyed as the first.
    named = dict(zip(labels(paths), masks.aligned([load(path) for path in paths])))
    matrix = masks.overlap_matrix(named)
    text = ["intersection over union of the kept weights:", matrix_table(matrix["names"], matrix["iou"], "{:.4f}".format),
            "", "the same for random masks with each layer's densities (chance):",
            matrix_table(matrix["names"], matrix["chance"], "{:.4f}".format), "",
            "ratio to chance:", matrix_table(matrix["names"], matrix["relative"], "{:.2f}".format, diagonal=False)]
    if len(paths) == 2:
        text += ["", "per layer:", layer_table(*named.values())]
    return {"matrix": matrix, "text": "\n".join(text)}


def main(argv):
    result = report(argv[1:])
    print(result["text"])
    if OUT.value:
        files.write_atomic(os.path.join(OUT.value, "overlap.md"), result["text"] + "\n")
        files.write_json(os.path.join(OUT.value, "overlap.json"), result["matrix"])
        heat_map(os.path.join(OUT.value, "overlap.png"), result["matrix"])
        print(f"\n(overlap.md, overlap.json and overlap.png in {os.path.abspath(OUT.value)})")
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.overlap", takes_arguments=TAKES_ARGUMENTS)
