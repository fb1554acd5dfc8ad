"""Settings declared once: a config dataclass's fields carry what makes their command-line flags.

    @dataclasses.dataclass(frozen=True)
    class FineTuningConfig(Hparams):
        finetune_steps: Duration = setting("10ep", "Fine-tuning: how long, at the final learning rate.")

The field's name, type and default are the dataclass's; `setting` adds its help and, where needed, its
flag's name (`flag=`, default the field's), bounds or choices, and how the run record writes it (`key=`,
`recorded=`, `omit_default=`). `Config.from_dict` builds a config from plain values, as a flag holds them
or as `to_dict()` wrote them (durations as text, options as "key=value" items or a dict, a nested config
as a dict), checked by the dataclass itself; `to_dict()` is the record (JSON values).

`define_flags(Config, __name__)`, called by a flags module when it is imported, defines one absl flag per
field (a nested config's fields too) and returns the `FlagGroup` that reads them back as a Config.
Importing a config defines no flag: open_lth's hparams, with absl's flags next to their readers.
"""
import dataclasses
import functools
import typing
from typing import Any, Dict, Mapping, Optional, Tuple

from absl import flags

from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError

_META = "tf_tickets.hparams"


@dataclasses.dataclass(frozen=True)
class Meta:
    help: str
    flag: Optional[str] = None  # the flag's name (default: the field's)
    key: Optional[str] = None  # its name in to_dict() (default: the field's; the run record keeps older names)
    choices: Tuple[str, ...] = ()  # an enum flag's values
    lower_bound: Any = None
    upper_bound: Any = None
    recorded: bool = True  # in to_dict(); False: it changes how a run is reported, not what it is
    omit_default: bool = False  # left out of to_dict() at its default (added later: older records lack it)
    # key=value options: (key, value) pairs; "key=value" items on the command line, a dict in the record
    options: bool = False
    none_as: Optional[str] = None  # the word that stands for None on the command line and in the record


def setting(default, help: str, **meta) -> Any:
    """A config field with its default, its help and the rest of `Meta`."""
    return dataclasses.field(default=default, metadata={_META: Meta(help, **meta)})


@dataclasses.dataclass(frozen=True)
class Hparams:
    """Base of the config dataclasses: values normalised from their plain forms, `from_dict`, `to_dict`."""

    def __post_init__(self):
        for f, meta, kind in _fields(type(self)):
            object.__setattr__(self, f.name, _load(getattr(self, f.name), f, meta, kind))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]):
        """The config from plain values keyed by field name (or by the record's name, `to_dict()`'s);
        a one-line error for a name it does not have."""
        names = {}
        for f, meta, _ in _fields(cls):
            names[f.name] = names[meta.key or f.name] = f.name
        unknown = [k for k in values if k not in names]
        if unknown:
            raise TicketsError(f"{cls.__name__} has no setting {unknown[0]!r}; it has: {', '.join(field_names(cls))}")
        return cls(**{names[k]: v for k, v in values.items()})

    @classmethod
    def recorded_keys(cls) -> Tuple[str, ...]:
        """The names `to_dict` writes settings under (those it leaves out at their default too)."""
        return tuple(meta.key or f.name for f, meta, _ in _fields(cls) if meta.recorded)

    def to_dict(self) -> dict:
        """The recorded settings as JSON values, under the record's names."""
        found = {}
        for f, meta, _ in _fields(type(self)):
            value = getattr(self, f.name)
            if meta.recorded and not (meta.omit_default and value == _default(f)):
                found[meta.key or f.name] = _plain(value, meta)
        return found


def field_names(cls) -> Tuple[str, ...]:
    return tuple(f.name for f, _, _ in _fields(cls))


@functools.lru_cache(maxsize=None)
def _fields(cls):
    """(field, Meta, kind) of each field declared with `setting`; kind: the type without Optional."""
    hints = typing.get_type_hints(cls)
    return tuple((f, f.metadata[_META], _without_none(hints[f.name])) for f in dataclasses.fields(cls)
                 if _META in f.metadata)


def _without_none(kind):
    if typing.get_origin(kind) is typing.Union:
        kind = next(k for k in typing.get_args(kind) if k is not type(None))
    return kind


def _is_config(kind) -> bool:
    return isinstance(kind, type) and issubclass(kind, Hparams)


def _of_durations(kind) -> bool:
    return typing.get_origin(kind) is tuple and typing.get_args(kind)[:1] == (Duration,)


def _default(f):
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def _load(value, f, meta: Meta, kind):
    """A field's value from any of its plain forms."""
    if meta.none_as is not None and value == meta.none_as:
        return None
    if value is None:
        return None
    if meta.options:
        return parse_options(value, f"--{meta.flag or f.name}")
    if kind is Duration:
        return Duration.parse(value)
    if _of_durations(kind):
        return tuple(Duration.parse(v) for v in value)
    if _is_config(kind) and isinstance(value, Mapping):
        return kind.from_dict(value)
    return value


def _plain(value, meta: Meta):
    """A field's value as the record writes it (JSON values)."""
    if value is None:
        return meta.none_as
    if meta.options:
        return dict(value)
    if isinstance(value, Hparams):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v, meta) for v in value]
    return str(value) if isinstance(value, Duration) else value


def _flag_value(value, meta: Meta):
    """A field's value as its flag holds it (durations as text, options as "key=value" items)."""
    if meta.options:
        return [f"{k}={v}" for k, v in value]
    if isinstance(value, tuple):
        return [str(v) for v in value]
    return str(value) if isinstance(value, Duration) else value


def parse_options(items, what: str) -> tuple:
    """["key=value", ...] (numbers and booleans parsed), a dict, or (key, value) pairs -> ((key, value), ...)."""
    if isinstance(items, Mapping):
        return tuple(items.items())
    parsed = []
    for item in items or ():
        if isinstance(item, tuple):
            parsed.append(item)
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise TicketsError(f"malformed {what} {item!r}: write key=value")
        parsed.append((key.strip(), _option_value(value.strip())))
    return tuple(parsed)


def _option_value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


class FlagGroup:
    """The flags of one config's fields, read back as the config."""

    def __init__(self, config_class, holders: Dict[str, Any]):
        self.config_class = config_class
        self._holders = holders  # field name -> its FlagHolder, or a nested config's FlagGroup

    def __getitem__(self, field_name: str) -> flags.FlagHolder:
        return self._holders[field_name]

    def values(self, changes: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Field name -> the flag's value, or `changes[flag name]` where it has one (a nested config's as a dict)."""
        changes = changes or {}
        return {name: holder.values(changes) if isinstance(holder, FlagGroup)
                else changes.get(holder.name, holder.value) for name, holder in self._holders.items()}

    def config(self, changes: Optional[Mapping[str, Any]] = None):
        """The flags (with `changes`, by flag name, in place of their values) as a checked config."""
        return self.config_class.from_dict(self.values(changes))


_DEFINED: Dict[str, Tuple[dataclasses.Field, flags.FlagHolder]] = {}  # flag name -> the field that declares it


def define_flags(config_class, module_name: str) -> FlagGroup:
    """Defines a flag for each field of `config_class` (and of the configs nested in it), as the flags of
    module `module_name` (the flags module calling this); returns their group. A field that several configs
    share (one extends another) is one flag."""
    holders = {}
    for f, meta, kind in _fields(config_class):
        if _is_config(kind):
            holders[f.name] = define_flags(kind, module_name)
        else:
            holders[f.name] = _define(f, meta, kind, module_name)
    return FlagGroup(config_class, holders)


def _define(f, meta: Meta, kind, module_name: str) -> flags.FlagHolder:
    name = meta.flag or f.name
    if name in _DEFINED:
        declared, holder = _DEFINED[name]
        if declared is not f:
            raise ValueError(f"--{name} is declared by two settings ({declared.name} and {f.name})")
        return holder
    default, common = _flag_value(_default(f), meta), dict(module_name=module_name)
    if meta.options or _of_durations(kind):
        holder = flags.DEFINE_list(name, default, meta.help, **common)
    elif meta.choices:
        holder = flags.DEFINE_enum(name, default, list(meta.choices), meta.help, **common)
    elif kind is bool:
        holder = flags.DEFINE_boolean(name, default, meta.help, **common)
    elif kind in (int, float):
        define = flags.DEFINE_integer if kind is int else flags.DEFINE_float
        holder = define(name, default, meta.help, lower_bound=meta.lower_bound, upper_bound=meta.upper_bound, **common)
    else:
        holder = flags.DEFINE_string(name, default, meta.help, **common)
    _DEFINED[name] = (f, holder)
    return holder
