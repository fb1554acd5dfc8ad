"""The `--space` syntax: which settings a search varies, and over what.

    lr:log:0.01:0.5,weight_decay:log:1e-5:1e-3,linear_keep_ratio:0.1:0.5,budget:choice:smart_ratio|erk

One entry per setting, `NAME:RANGE`, where RANGE is
  LOW:HIGH            uniform between LOW and HIGH (whole numbers for an integer setting)
  log:LOW:HIGH        log-uniform (LOW > 0): learning rates, weight decay
  choice:A|B|...      one of the values, as written on the command line
Pure text: what NAME means (a flag, a budget's option) is `tuning.plan`'s business.
"""
import dataclasses
import math
from typing import List, Optional, Sequence, Tuple

from tf_tickets.errors import TicketsError

UNIFORM, LOG, CHOICE = "uniform", "log", "choice"

SYNTAX = "write NAME:LOW:HIGH, NAME:log:LOW:HIGH or NAME:choice:A|B"


@dataclasses.dataclass(frozen=True)
class Param:
    """One entry: a setting's name and the values a search may give it."""

    name: str
    sampling: str  # UNIFORM, LOG or CHOICE
    low: Optional[float] = None
    high: Optional[float] = None
    choices: Tuple[str, ...] = ()
    text: str = ""  # the entry as written, for messages

    def probes(self) -> Tuple[str, ...]:
        """Values to check before a search starts: the ends of a range, every choice."""
        return self.choices if self.sampling == CHOICE else (_text(self.low), _text(self.high))


def parse(entries: Sequence[str]) -> List[Param]:
    """`--space` entries (the flag's comma-separated items) as Params; a one-line error for a bad one."""
    entries = [e.strip() for e in entries if e.strip()]
    if not entries:
        raise TicketsError(f"--space is empty: name at least one setting to search, e.g. lr:log:0.01:0.5 ({SYNTAX})")
    params = [parse_entry(entry) for entry in entries]
    names = [p.name for p in params]
    for name in names:
        if names.count(name) > 1:
            raise TicketsError(f"--space names {name!r} twice")
    return params


def parse_entry(entry: str) -> Param:
    name, _, rest = entry.partition(":")
    name = name.strip()
    if not name or not rest:
        raise _bad(entry, SYNTAX)
    if "/" in name:  # keras-tuner's own names ("tuner/epochs")
        raise _bad(entry, "a name cannot contain '/'")
    kind, _, body = rest.partition(":")
    if kind == CHOICE:
        choices = tuple(c.strip() for c in body.split("|"))
        if not body or not all(choices):
            raise _bad(entry, "write choice:A|B|C, no empty value")
        if len(set(choices)) != len(choices):
            raise _bad(entry, "a choice is listed twice")
        return Param(name, CHOICE, choices=choices, text=entry)
    sampling, bounds = (LOG, body) if kind == LOG else (UNIFORM, rest)
    parts = bounds.split(":")
    if len(parts) != 2:
        raise _bad(entry, SYNTAX)
    low, high = (_number(entry, p) for p in parts)
    if not low < high:
        raise _bad(entry, f"LOW must be below HIGH, got {parts[0]} and {parts[1]}")
    if sampling == LOG and low <= 0:
        raise _bad(entry, "a log range needs LOW > 0")
    return Param(name, sampling, low, high, text=entry)


def _number(entry: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(entry, f"{text!r} is not a number ({SYNTAX})") from None
    if not math.isfinite(value):
        raise _bad(entry, f"{text!r} is not a finite number")
    return value


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _bad(entry: str, why: str) -> TicketsError:
    return TicketsError(f"--space entry {entry!r}: {why}")
