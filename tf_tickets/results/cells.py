"""The runs of one ticket at one sparsity, seeds pooled: their test accuracies' mean ± std, and the runs that
cannot count as the others do (a network whose layers collapsed, a result that is not a number), named."""
import dataclasses
import math
from typing import List, Optional, Tuple

from tf_tickets.results.runs import Run
from tf_tickets.table_writer import mean_std

COLLAPSED, NOT_FINITE = "†", "‡"  # the marks of a cell holding such a run


def not_finite(results: dict) -> List[str]:
    """The names of the result values that are NaN or infinite (nested ones as a.b)."""
    bad = []

    def walk(value, name):
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(name)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{name}.{k}" if name else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{name}[{i}]")

    walk(results, "")
    return bad


def collapse_of(results: dict) -> Optional[str]:
    """"layer collapse: ..." for a run whose masks left a layer empty (`results["collapsed"]`, or the
    older runs' sparsity report), else None."""
    found = results.get("collapsed")
    if found is None:
        rows = results.get("sparsity_report") or []
        found = {"empty": [r["name"] for r in rows if r.get("empty")],
                 "disconnecting": [r["name"] for r in rows if r.get("disconnects")]}
    if not found.get("empty"):
        return None
    from tf_tickets.pruning.collapse import describe  # loads TensorFlow: only a collapsed run needs it

    return describe(found)


@dataclasses.dataclass
class Cell:
    """The runs of one ticket at one sparsity."""

    runs: List[Run] = dataclasses.field(default_factory=list)

    @property
    def accuracies(self) -> List[float]:
        """Test accuracies (fractions) that are numbers; a run whose accuracy is NaN is marked instead."""
        values = [r.results.get("test_accuracy") for r in self.runs]
        return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]

    @property
    def n(self) -> int:
        return len(self.accuracies)

    @property
    def seeds(self) -> List[int]:
        return sorted(r.config.get("seed", 0) for r in self.runs)

    def mean_std(self) -> Tuple[float, float]:
        return mean_std(self.accuracies) if self.accuracies else (math.nan, math.nan)

    @property
    def collapsed(self) -> List[Run]:
        return [r for r in self.runs if collapse_of(r.results)]

    @property
    def not_finite(self) -> List[Run]:
        return [r for r in self.runs if not_finite(r.results)]

    def marks(self) -> str:
        return (" " + COLLAPSED if self.collapsed else "") + (" " + NOT_FINITE if self.not_finite else "")
