"""Named options with defaults, checked once at construction (criteria and budgets take them)."""
from typing import Dict

from tf_tickets.errors import TicketsError


class WithOptions:
    """Subclasses set `kind` ("criterion", "budget"), `name` and `defaults`; unknown options are refused."""

    kind = ""
    name = ""
    defaults: Dict[str, object] = {}

    def __init__(self, **options):
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise TicketsError(f"unknown option {unknown[0]!r} for {self.kind} {self.name!r}; known: {known}")
        self.options = {**self.defaults, **options}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{self.name}({opts})"
