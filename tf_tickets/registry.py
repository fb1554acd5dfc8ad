"""One small registry per concept (datasets, models, criteria, budgets), as in open_lth.

Entries are registered by exact name, or as a family whose names follow a pattern
(`cifar_resnet_<depth>[_<width>]`): the pattern's named groups become keyword arguments.
"""
import re
from typing import Callable, Dict, List, Tuple

from tf_tickets.errors import TicketsError


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._exact: Dict[str, Callable] = {}
        self._families: List[Tuple[re.Pattern, str, Callable, Callable]] = []
        self._listeners: List[Callable] = []

    def register(self, name: str):
        """Decorator: register `fn` under `name`."""

        def wrap(fn):
            if name in self._exact:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._exact[name] = fn
            for listener in self._listeners:
                listener(name, fn)
            return fn

        return wrap

    def on_register(self, listener: Callable[[str, Callable], None]) -> None:
        """Calls `listener(name, entry)` for each entry registered by exact name, now and from now on (the
        procedures' flags module defines each procedure's flags so)."""
        self._listeners.append(listener)
        for name, fn in list(self._exact.items()):
            listener(name, fn)

    def register_family(self, pattern: str, shown_as: str, valid: Callable[..., bool] = lambda **_: True):
        """Decorator: register `fn` for every name that fully matches `pattern` and passes `valid`."""

        def wrap(fn):
            self._families.append((re.compile(pattern), shown_as, fn, valid))
            return fn

        return wrap

    def lookup(self, name: str) -> Tuple[Callable, dict]:
        """Returns (fn, keyword arguments parsed from the name); a one-line TicketsError if unknown."""
        if name in self._exact:
            return self._exact[name], {}
        for pattern, _, fn, valid in self._families:
            match = pattern.fullmatch(name)
            if match:
                kwargs = {k: int(v) if v is not None and v.isdigit() else v
                          for k, v in match.groupdict().items() if v is not None}
                if valid(**kwargs):
                    return fn, kwargs
        raise TicketsError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")

    def create(self, name: str, **options):
        """Calls the entry for `name` with the arguments parsed from the name and `options`."""
        fn, kwargs = self.lookup(name)
        return fn(**kwargs, **options)

    def get(self, name: str):
        """The entry registered under exactly `name` (or matched by a family), without calling it."""
        return self.lookup(name)[0]

    def in_order(self) -> List[str]:
        """Exact names in the order they were registered."""
        return list(self._exact)

    def __contains__(self, name: str) -> bool:
        try:
            self.lookup(name)
            return True
        except TicketsError:
            return False

    def names(self) -> List[str]:
        return sorted(self._exact) + [shown for _, shown, _, _ in self._families]
