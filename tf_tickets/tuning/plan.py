"""A search bound to the command line: what each searched name sets, and the run a trial's values make.

A searched name is a flag of `tf_tickets.train` (`lr`, `weight_decay`, `sparsity`, `budget`,
`criterion`, `training_steps`, ...; `learning_rate` is `lr`) or an option of a budget or a criterion
(`linear_keep_ratio`, `schedule`, `min_density`, `temperature`, ...), which goes into `--budget_options`
or `--method_options` (the criterion's). An option searched alongside `budget` (or `criterion`) applies
only to the choices that take it: a keras-tuner conditional hyperparameter. A trial's values go, by flag
name, in place of the flags' own into the configs they set (`harness.spec_from_flags(changes=...)`, which
binds them to their config's fields as `tf_tickets.train` binds the flags: the same run), and into the
flagfile that trains it again (`harness.flagfile(changes=...)`); the process's flags are never written.
"""
import dataclasses
import os
from typing import Dict, List, Optional, Sequence, Tuple

from absl import flags

from tf_tickets import budgets, criteria, deprecation, harness, run_files
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import flags as pruning_flags
from tf_tickets.runs import FromFile, Outputs, Ref, RunSpec, Search, Start
from tf_tickets.training import flags as train_flags
from tf_tickets.tuning.space import CHOICE, LOG, Param

FLAGS = flags.FLAGS
ALIASES = {"learning_rate": "lr", "method": "criterion"}  # method: the deprecated name of criterion
NOT_SEARCHED = ("run_dir", "data_dir", "mask_file", "distribution", "logical_cpus", "method")
# Which flag carries the options of the thing a flag names: --budget's in --budget_options, ...
OPTIONS = {"budget": ("budget_options", budgets.BUDGETS), "criterion": ("method_options", criteria.CRITERIA)}
EVERY_BUDGET_TAKES = ("min_density",)

# keras-tuner's Hyperband sets these values on each trial.
EPOCHS, INITIAL_EPOCH, PARENT = "tuner/epochs", "tuner/initial_epoch", "tuner/trial_id"


@dataclasses.dataclass(frozen=True)
class Setting:
    """A searched name bound to what it sets: a flag, or an `option` in a flag of options."""

    param: Param
    flag: str
    option: Optional[str] = None
    integer: bool = False
    condition: Optional[Tuple[str, Tuple[str, ...]]] = None  # (searched parent, its values that take it)

    @property
    def name(self) -> str:
        return self.param.name

    def applies(self, values: dict) -> bool:
        return self.condition is None or values.get(self.condition[0]) in self.condition[1]

    def declare(self, hp) -> None:
        """Adds this setting to keras-tuner's `HyperParameters` `hp`."""
        p = self.param
        if self.condition is not None:
            with hp.conditional_scope(*self.condition):
                return _declare(hp, p, self.integer)
        _declare(hp, p, self.integer)


def _declare(hp, p: Param, integer: bool) -> None:
    sampling = "log" if p.sampling == LOG else "linear"
    if p.sampling == CHOICE:
        hp.Choice(p.name, list(p.choices))
    elif integer:
        hp.Int(p.name, int(p.low), int(p.high), sampling=sampling)
    else:
        hp.Float(p.name, p.low, p.high, sampling=sampling)


class Plan:
    """The searched settings over the run the other flags describe (`base`), trials' runs under `root`.

    `epoch` (Hyperband only): the training length one of keras-tuner's epochs stands for, e.g. 1ep or
    20it; a trial of `tuner/epochs` = 3 then trains 3ep (60it).
    """

    def __init__(self, params: Sequence[Param], root: str, epoch: Optional[str] = None):
        self.root = root
        try:
            self.epoch = Duration.parse(epoch) if epoch is not None else None
        except TicketsError as error:
            raise TicketsError(f"--hyperband_epoch: {error}") from None
        self.settings = bind(params)
        if self.epoch is not None and any(s.flag == "training_steps" for s in self.settings):
            raise TicketsError("--space: Hyperband sets each trial's training length (--hyperband_epoch); "
                               "do not search training_steps")
        self.base = self.spec({})
        self._check_values()

    def spec(self, values: dict, extra: Optional[Dict[str, str]] = None) -> RunSpec:
        """The run the flags describe with `values` (and `extra` flag values) in place of theirs."""
        spec = harness.spec_from_flags(changes=self._flag_values(values, extra or {}))
        if isinstance(spec.masks, Search):
            raise TicketsError("a jackpot searches over --start_from weights, which tf_tickets.tune does not take")
        return spec

    def flagfile(self, values: dict, run_dir: str) -> str:
        """A flagfile for `tf_tickets.train` that trains the settings of `values` in `run_dir`."""
        extra = {"run_dir": run_dir, **self._length(values)}
        return harness.flagfile(changes=self._flag_values(values, extra))

    def trial_dir(self, trial_id: str) -> str:
        return os.path.join(self.root, "trials", trial_id)

    def trial_spec(self, values: dict, steps_per_epoch: int) -> RunSpec:
        """A trial's run. Under Hyperband it trains `tuner/epochs` epochs and keeps its final weights; a
        trial that continues another (`tuner/trial_id`) starts from that run's final weights and masks at
        the step `tuner/initial_epoch` ends, so the learning-rate schedule goes on from there."""
        spec = self.spec(values, self._length(values))
        if self.epoch is None:
            return spec
        spec = dataclasses.replace(spec, outputs=Outputs(save_weights=True))
        parent = values.get(PARENT)
        if not parent:
            return spec
        parent_dir = self.trial_dir(str(parent))
        initial = Duration(int(values[INITIAL_EPOCH]) * self.epoch.amount, self.epoch.unit)
        start = Start(weights=Ref.at(os.path.join(parent_dir, run_files.FINAL_WEIGHTS)),
                      step=initial.to_steps(steps_per_epoch))
        masks = spec.masks if spec.dense else FromFile(Ref.at(os.path.join(parent_dir, run_files.MASKS)),
                                                       spelled=spec.pruning.criterion)
        return dataclasses.replace(spec, start=start, masks=masks)

    def shown(self, values: dict) -> Dict[str, object]:
        """The searched values of a trial, by name ("-" where a conditional one does not apply)."""
        return {s.name: values[s.name] if s.name in values and s.applies(values) else "-" for s in self.settings}

    def identity(self) -> dict:
        """What makes two searches the same (with the tuner's own settings, see `tuning.directory`)."""
        return {"space": [s.param.text for s in self.settings], "base": self.base.identity(),
                "hyperband_epoch": str(self.epoch) if self.epoch is not None else None}

    def _length(self, values: dict) -> Dict[str, str]:
        if self.epoch is None or EPOCHS not in values:
            return {}
        return {"training_steps": str(Duration(int(values[EPOCHS]) * self.epoch.amount, self.epoch.unit))}

    def _flag_values(self, values: dict, extra: Dict[str, str]) -> Dict[str, object]:
        """Flag name -> the value a trial gives it (an option's flag: its items with the option's value)."""
        changes: Dict[str, object] = {}
        for setting in self.settings:
            if setting.name not in values or not setting.applies(values):
                continue
            text = _text(values[setting.name])
            if setting.option is None:
                changes[setting.flag] = _parse(setting.flag, text, setting.param.text)
                continue
            items = changes.get(setting.flag, list(FLAGS[setting.flag].value))
            items = [i for i in items if i.partition("=")[0].strip() != setting.option]
            changes[setting.flag] = items + [f"{setting.option}={text}"]
        for flag, text in extra.items():
            changes[flag] = _parse(flag, text, flag)
        return changes

    def _check_values(self) -> None:
        """Every end of every range and every choice makes a valid run (before anything is written)."""
        for setting in self.settings:
            for probe in setting.param.probes():
                values = {setting.name: probe}
                if setting.condition is not None:
                    values[setting.condition[0]] = setting.condition[1][0]
                try:
                    self.spec(values)
                except TicketsError as error:
                    message = str(error)
                    if setting.param.text not in message:
                        message = f"--space entry {setting.param.text!r}: {message}"
                    raise TicketsError(message) from None


def bind(params: Sequence[Param]) -> List[Setting]:
    """Each Param bound to the flag (or option) it sets; one-line errors for names that set nothing."""
    if any(p.name == "method" for p in params):
        deprecation.note("--space entry method:...", "criterion:...")
    searched = {ALIASES.get(p.name, p.name): p for p in params}
    settings = [_bind(p, searched) for p in params]
    targets = [(s.flag, s.option) for s in settings]
    for setting, target in zip(settings, targets):
        if targets.count(target) > 1:
            raise TicketsError(f"--space sets {setting.option or '--' + setting.flag} twice (learning_rate is lr, "
                               "method is criterion)")
    return sorted(settings, key=lambda s: s.condition is not None)  # a condition's parent is declared first


def _bind(param: Param, searched: Dict[str, Param]) -> Setting:
    name = ALIASES.get(param.name, param.name)
    flag = _searchable_flags().get(name)
    if flag is not None:
        integer = isinstance(flag.parser, flags.IntegerParser)
        if param.sampling != CHOICE and not integer and not isinstance(flag.parser, flags.FloatParser):
            raise TicketsError(f"--space entry {param.text!r}: --{name} is not a number: write {name}:choice:A|B")
        if integer and param.sampling != CHOICE and not (float(param.low).is_integer() and float(param.high).is_integer()):
            raise TicketsError(f"--space entry {param.text!r}: --{name} takes whole numbers")
        return Setting(param, name, integer=integer)
    for owner_flag, (options_flag, registry) in OPTIONS.items():
        owners = [n for n in registry.in_order()
                  if name in registry.get(n).defaults or (owner_flag == "budget" and name in EVERY_BUDGET_TAKES)]
        if owners:
            return _bind_option(param, name, owner_flag, options_flag, owners, registry, searched)
    known = ", ".join(sorted(_searchable_flags()))
    raise TicketsError(f"--space entry {param.text!r}: {param.name!r} is neither a flag of tf_tickets.train nor an "
                       f"option of a budget or criterion; flags: {known}")


def _bind_option(param, name, owner_flag, options_flag, owners, registry, searched) -> Setting:
    defaults = [registry.get(n).defaults.get(name) for n in owners]
    integer = all(isinstance(d, int) and not isinstance(d, bool) for d in defaults) and param.sampling != CHOICE
    parent = searched.get(owner_flag)
    if parent is None:
        current = FLAGS[owner_flag].value if owner_flag == "budget" else pruning_flags.criterion()
        if current not in owners:
            raise TicketsError(f"--space entry {param.text!r}: {name} is an option of {', '.join(owners)}, not of "
                               f"the {owner_flag} {current}: set --{owner_flag} or search {owner_flag} too")
        return Setting(param, options_flag, option=name, integer=integer)
    if parent.sampling != CHOICE:
        raise TicketsError(f"--space entry {parent.text!r}: write {owner_flag}:choice:A|B")
    taking = tuple(c for c in parent.choices if c in owners)
    if not taking:
        raise TicketsError(f"--space entry {param.text!r}: {name} is an option of {', '.join(owners)}, none of "
                           f"which is among the {owner_flag} choices {'|'.join(parent.choices)}")
    condition = None if len(taking) == len(parent.choices) else (parent.name, taking)
    return Setting(param, options_flag, option=name, integer=integer, condition=condition)


def _searchable_flags() -> Dict[str, flags.Flag]:
    found = {}
    for module in (train_flags, pruning_flags):
        for flag in FLAGS.get_flags_for_module(module):
            if flag.name not in NOT_SEARCHED and not isinstance(flag.parser, flags.ListParser):
                found[flag.name] = flag
    return found


def _parse(flag: str, text: str, entry: str):
    try:
        return FLAGS[flag].parser.parse(text)
    except (ValueError, flags.Error) as error:
        raise TicketsError(f"--space entry {entry!r}: {text!r} is not a value of --{flag}: {error}") from None


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)

