"""How much do masks agree? `python -m tf_tickets.overlap RUN_OR_MASKFILE RUN_OR_MASKFILE [...] [--out=DIR]`.

Each argument is a run directory (its masks.npz) or a mask file; their layers are matched by name, or by
position where the names differ (networks built in one process: dense_4 against dense_8), and the per-layer
table uses the first one's names. Prints the pairwise overlap matrix:
intersection over union of the kept weights, the same for random masks with each layer's densities
(chance, summed per layer: under a non-uniform budget one global density would overstate "above
chance"), and their ratio; with two masks, the same per layer. `--out` also writes overlap.md,
overlap.json and a heat-map, overlap.png.
"""
import os

from tf_tickets import cli, figures, files, masks, run_files
from tf_tickets.errors import TicketsError
from tf_tickets.table_writer import markdown_table, matrix_table

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


def layer_table(a, b) -> str:
    got, chance = masks.overlap(a, b), masks.chance_overlap(a, b)
    rows = []
    for key, row in got["layers"].items():
        expected = chance["layers"][key]["iou"]
        ratio = row["iou"] / expected if expected else 1.0
        rows.append([key, f"{row['iou']:.4f}", f"{expected:.4f}", f"{ratio:.2f}"])
    return markdown_table(rows, ["layer", "IoU", "chance", "ratio"], right=["IoU", "chance", "ratio"])


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
        figures.heat_map(os.path.join(OUT.value, "overlap.png"), result["matrix"])
        print(f"\n(overlap.md, overlap.json and overlap.png in {os.path.abspath(OUT.value)})")
    return 0


if __name__ == "__main__":
    cli.run(main, "tf_tickets.overlap", takes_arguments=TAKES_ARGUMENTS)
