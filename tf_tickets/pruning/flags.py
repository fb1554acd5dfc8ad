"""Pruning flags of the command line, defined next to the functions that read them: PruningConfig's, from
its fields, and where the masks come from (`--mask_file`, `--prune_at`).

`--criterion` names what scores the weights. `--method`, its older spelling (in `tf_tickets.sanity` also
of `--procedure`), still works and says once to use `--criterion` (or `--procedure`) instead.
"""
from absl import flags

from tf_tickets import deprecation, hparams
from tf_tickets.durations import Duration
from tf_tickets.pruning.config import DENSE, PruningConfig

PRUNING = hparams.define_flags(PruningConfig, __name__)
CRITERION, SPARSITY, BUDGET, POLICY = (PRUNING[name] for name in ("criterion", "sparsity", "budget", "policy"))
METHOD = flags.DEFINE_string("method", DENSE, "Deprecated: use --criterion (in tf_tickets.sanity, --procedure or "
                             "--criterion).")
MASK_FILE = flags.DEFINE_string("mask_file", None, "Masks to use (.npz keyed by layer name), instead of a criterion.")
PRUNE_AT = flags.DEFINE_string("prune_at", "init", "When to prune: init, or after a duration of dense training "
                               "(e.g. 500it, 2ep).")


def method() -> str:
    """The deprecated --method ("dense": not given); the first use says what to use instead."""
    if METHOD.value != DENSE:
        deprecation.note("--method", "--criterion (in tf_tickets.sanity, --procedure or --criterion)")
    return METHOD.value


def criterion(changes=None) -> str:
    """--criterion (or `changes["criterion"]`), else the deprecated --method ("dense": none)."""
    return (changes or {}).get(CRITERION.name, CRITERION.value) or method()


def pruning_config(criterion_name=None, changes=None) -> PruningConfig:
    """The flags (with `changes`, flag name -> value, in place of theirs) as a checked PruningConfig;
    `criterion_name` replaces the flags' criterion when given (None and "dense" mean no criterion)."""
    name = criterion_name if criterion_name is not None else criterion(changes)
    return PRUNING.config({**(changes or {}), CRITERION.name: None if name in (DENSE, "file") else name})


def prune_at(changes=None):
    """--prune_at as a Duration, or None for "init"."""
    value = (changes or {}).get(PRUNE_AT.name, PRUNE_AT.value)
    return None if value == "init" else Duration.parse(value)


def without_method(changes=None) -> dict:
    """For a flagfile that leaves out the deprecated --method: the --criterion it stood for, if it was given."""
    return {} if METHOD.value == DENSE else {CRITERION.name: criterion(changes)}
