"""Training durations written the open_lth way: `160ep` (epochs) or `500it` (iterations)."""
import dataclasses
import math
import re

from tf_tickets.errors import TicketsError

_PATTERN = re.compile(r"(\d+)(ep|it)")


@dataclasses.dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # "ep" or "it"

    @classmethod
    def parse(cls, text) -> "Duration":
        """`text` such as "160ep" or "500it"; a Duration is returned as it is."""
        if isinstance(text, Duration):
            return text
        match = _PATTERN.fullmatch(str(text).strip())
        if not match:
            raise TicketsError(f"malformed duration {text!r}: write it as <N>ep (epochs) or <N>it (iterations), "
                               "e.g. 160ep or 500it")
        return cls(int(match.group(1)), match.group(2))

    def to_steps(self, steps_per_epoch: int) -> int:
        return self.amount * steps_per_epoch if self.unit == "ep" else self.amount

    def to_epochs(self, steps_per_epoch: int) -> int:
        """Epochs needed to cover the duration (the last one may be partial)."""
        return math.ceil(self.to_steps(steps_per_epoch) / steps_per_epoch)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"
