"""What an export measured, as `export.json` and a Markdown table: sizes, non-zero weights, parity,
the runtimes each file ships for, and batch-1 latency of sparse against dense TFLite files."""
import gzip
import os
from typing import Dict, List, Optional

from tf_tickets.table_writer import markdown_table


def file_paths(path: str) -> List[str]:
    if os.path.isfile(path):
        return [path]
    return sorted(os.path.join(root, name) for root, _, names in os.walk(path) for name in names)


def sizes(path: str) -> Dict[str, int]:
    """Bytes on disk, and gzip-compressed (each file on its own, summed, for a directory)."""
    raw = packed = 0
    for name in file_paths(path):
        with open(name, "rb") as f:
            data = f.read()
        raw += len(data)
        packed += len(gzip.compress(data, compresslevel=9, mtime=0))
    return {"bytes": raw, "gzip_bytes": packed}


def bytes_sizes(data: bytes) -> Dict[str, int]:
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, compresslevel=9, mtime=0))}


def _kb(n: Optional[int]) -> str:
    return "-" if n is None else f"{n / 1024:,.1f} KiB"


def _count(n: Optional[int]) -> str:
    return "-" if n is None else f"{n:,}"


def _ms(row: Dict, runtime: str) -> str:
    timing = row.get("latency_ms", {}).get(runtime)
    if not timing:
        return "-"
    if timing.get("sparse") is None:
        return f"- / {timing['dense']:.3f} (sparse file does not run)"
    return f"{timing['sparse']:.3f} / {timing['dense']:.3f} ({timing['sparse'] / timing['dense']:.2f}x)"


def _parity(row: Dict) -> str:
    checks = row.get("parity", {})
    shipped = [r for r, c in checks.items() if c.get("passed")]
    if row.get("refused") or not shipped:
        return "refused: " + row.get("refused", "not checked")
    best = checks[shipped[0]]
    found = (f"top-1 agreement {best['agreement']:.3f}, accuracy {best['accuracy']:.4f}" if row.get("quantized")
             else f"max abs diff {best['max_abs_diff']:.1e}")
    return found + (f" ({', '.join(shipped)})" if len(checks) > 1 else "")


def markdown(report: Dict) -> str:
    rows = []
    for row in report["formats"]:
        twin = row.get("dense_twin")
        twin_text = (f"{_kb(twin['bytes'])} ({row['bytes'] / twin['bytes']:.2f}x), "
                     f"{_kb(twin['gzip_bytes'])} ({row['gzip_bytes'] / twin['gzip_bytes']:.2f}x)") if twin else "-"
        rows.append([row["format"], row.get("file") or "-", _kb(row.get("bytes")), _kb(row.get("gzip_bytes")),
                     twin_text, f"{_count(row.get('nonzero_weights'))} of {report['total_weights']:,}", _parity(row),
                     _ms(row, "xnnpack"), _ms(row, "builtin")])
    lines = [f"export of {report['source']} ({report['test_examples']} test examples; latency: batch 1, one thread, "
             f"median of {report['latency_repeats']} runs, sparse / dense file)", "",
             markdown_table(rows, ["format", "file", "size", "gzip", "dense twin (size, gzip)", "non-zero weights",
                                   "parity", "latency XNNPack (ms)", "latency builtin (ms)"])]
    lines += ["", f"masked model: {report['nonzero_weights']:,} non-zero of {report['total_weights']:,} kernel weights "
                  f"(density {report['density']:.4f}); Keras model's accuracy on these examples "
                  f"{report['keras_accuracy']:.4f}"]
    lines += [f"note: {note}" for note in report.get("notes", [])]
    return "\n".join(lines)
