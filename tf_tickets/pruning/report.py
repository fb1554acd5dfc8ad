"""Per-layer sparsity of a pruned model: what the CLI prints and the run directory keeps."""
from typing import Dict, List

import numpy as np

from tf_tickets.pruning import collapse
from tf_tickets.pruning.carriers import targets
from tf_tickets.table_writer import markdown_table


def sparsity_report(model) -> List[Dict]:
    """One row per masked weight in forward order: name, size, kept, density, and whether the layer is
    empty (keeps no weight) and, if so, whether it alone disconnects the network (`collapse`)."""
    found = collapse.find(model)
    rows = []
    for target in targets(model):
        mask = target.mask.numpy()
        kept = int(np.count_nonzero(mask))
        layer = target.layer.name
        rows.append({"name": target.key, "shape": list(mask.shape), "size": int(mask.size), "kept": kept,
                     "density": kept / mask.size, "empty": layer in found["empty"],
                     "disconnects": layer in found["disconnecting"]})
    return rows


def totals(rows: List[Dict]) -> Dict:
    size = sum(r["size"] for r in rows)
    kept = sum(r["kept"] for r in rows)
    return {"name": "total", "size": size, "kept": kept, "density": kept / size if size else 1.0}


def format_report(rows: List[Dict]) -> str:
    """A Markdown table, totals last; empty layers marked, with a warning line under the table."""
    shown = []
    for row in rows + [totals(rows)]:
        mark = " (empty, disconnects)" if row.get("disconnects") else " (empty)" if row.get("empty") else ""
        shown.append([row["name"] + mark, f"{row['size']:,}", f"{row['kept']:,}", f"{row['density']:.4f}"])
    table = markdown_table(shown, ["layer", "size", "kept", "density"], right=["size", "kept", "density"])
    warning = collapse_line(rows)
    return table + (f"\n\nwarning: {warning}" if warning else "")


def collapse_line(rows: List[Dict]) -> str:
    """"layer collapse: ..." from a report's rows, or "" when no layer is empty."""
    return collapse.describe({"empty": [r["name"] for r in rows if r.get("empty")],
                              "disconnecting": [r["name"] for r in rows if r.get("disconnects")]}) or ""
