"""Per-layer sparsity of a pruned model: what the CLI prints and the run directory keeps."""
from typing import Dict, List

import numpy as np

from tf_tickets.pruning.carrier import targets


def sparsity_report(model) -> List[Dict]:
    """One row per masked weight in forward order: name, size, kept, density; then nothing else."""
    rows = []
    for target in targets(model):
        mask = target.mask.numpy()
        kept = int(np.count_nonzero(mask))
        rows.append({"name": target.key, "shape": list(mask.shape), "size": int(mask.size), "kept": kept,
                     "density": kept / mask.size})
    return rows


def totals(rows: List[Dict]) -> Dict:
    size = sum(r["size"] for r in rows)
    kept = sum(r["kept"] for r in rows)
    return {"name": "total", "size": size, "kept": kept, "density": kept / size if size else 1.0}


def format_report(rows: List[Dict]) -> str:
    """A Markdown table, totals last."""
    lines = ["| layer | size | kept | density |", "|---|---:|---:|---:|"]
    for row in rows + [totals(rows)]:
        lines.append(f"| {row['name']} | {row['size']:,} | {row['kept']:,} | {row['density']:.4f} |")
    return "\n".join(lines)
