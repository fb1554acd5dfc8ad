"""Sanity-check verdicts: does a ticket's accuracy drop when a check destroys some information?

"uses this information" when the mean accuracy under the check is below the ticket's own mean by more
than twice the seeds' pooled standard deviation and by more than `min_drop` (half a percentage point by
default, so that two nearly identical seeds do not make a verdict out of noise); "does not" otherwise.
With one seed there is no spread, and the verdict is "n/a (one seed)".
"""
import math
from typing import Callable, Dict, List, Optional, Sequence

from tf_tickets.table_writer import mean_std, percent


def verdict(plain: Sequence[float], checked: Sequence[float], min_drop: float = 0.005) -> Dict:
    p_mean, p_std = mean_std(plain)
    c_mean, c_std = mean_std(checked)
    drop = p_mean - c_mean
    if len(plain) < 2 or len(checked) < 2:
        word = "n/a (one seed)"
    else:
        threshold = max(2 * math.sqrt((p_std ** 2 + c_std ** 2) / 2), min_drop)
        word = "uses this information" if drop > threshold else "does not"
    return {"mean": c_mean, "std": c_std, "drop": drop, "verdict": word}


def rows(accuracies: Dict[Optional[str], List[float]], label: Callable[[Optional[str]], str]) -> List[Dict]:
    """One row per check (the ticket itself first, under the check None), with mean ± std, drop and
    verdict; `label(check)` names each row."""
    plain = accuracies[None]
    out = []
    for check, values in accuracies.items():
        mean, std = mean_std(values)
        row = {"check": label(check), "n": len(values), "accuracy": percent(mean, std), "mean": mean, "std": std}
        if check is not None:
            v = verdict(plain, values)
            row.update(drop=f"{100 * v['drop']:+.2f}".replace("+-", "-"), verdict=v["verdict"])
        out.append(row)
    return out
