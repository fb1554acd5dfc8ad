"""What to prune, how much, and when: checked before anything is written."""
import dataclasses
from typing import Optional

from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import policies

DENSE = "dense"
INIT = "init"


@dataclasses.dataclass(frozen=True)
class PruningConfig:
    method: str = DENSE  # "dense" (no pruning), a criterion name, or "file" (masks from mask_file)
    sparsity: float = 0.9
    budget: str = "global"
    policy: str = "conv_dense"
    mask_file: Optional[str] = None
    prune_at: str = INIT  # "init", or a duration of dense training first (e.g. 500it, 2ep)
    method_options: tuple = ()  # ((key, value), ...)
    budget_options: tuple = ()
    invert: bool = False  # score inversion (a sanity check): keep the lowest-scoring weights

    def __post_init__(self):
        if self.mask_file and self.method not in (DENSE, "file"):
            raise TicketsError("--mask_file gives the masks: leave --method unset (or set it to file)")
        if self.method == "file" and not self.mask_file:
            raise TicketsError("--method=file needs --mask_file")
        if self.prune_at != INIT:
            Duration.parse(self.prune_at)
        policies.POLICIES.lookup(self.policy)
        if self.prunes_by_criterion:
            self.pruner(seed=0)  # validates method, budget, sparsity and options

    @property
    def is_dense(self) -> bool:
        return self.method == DENSE and not self.mask_file

    @property
    def prunes_by_criterion(self) -> bool:
        return not self.is_dense and not self.mask_file

    def pruner(self, seed: int):
        from tf_tickets.pruning.pruner import Pruner

        return Pruner(self.method, self.sparsity, self.budget, seed, dict(self.method_options),
                      dict(self.budget_options), invert=self.invert)

    def to_dict(self) -> dict:
        if self.is_dense:
            return {"method": DENSE}
        d = dataclasses.asdict(self)
        d["method_options"] = dict(self.method_options)
        d["budget_options"] = dict(self.budget_options)
        return d


def parse_method_budget(text: str):
    """"snip@global" -> ("snip", "global"); "snip" -> ("snip", None)."""
    method, _, budget = text.partition("@")
    return method.strip(), budget.strip() or None


def parse_options(items, what: str) -> tuple:
    """["key=value", ...] -> ((key, value), ...) with numbers and booleans parsed."""
    parsed = []
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise TicketsError(f"malformed {what} {item!r}: write key=value")
        parsed.append((key.strip(), _value(value.strip())))
    return tuple(parsed)


def _value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
