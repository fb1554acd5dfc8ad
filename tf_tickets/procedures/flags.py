"""Each procedure's own hyper-parameters as flags (`--levels`, `--finetune_steps`, `--gmp_frequency`,
`--search_lr`, ...), made from the fields of its config (`Procedure.hparams_type`) when this module is
imported, and for a procedure registered later when it registers. Every command that takes procedures
imports this module, so each has every procedure's flags."""
from typing import Dict, Optional

from tf_tickets import hparams
from tf_tickets.procedures.base import PROCEDURES

_GROUPS: Dict[str, hparams.FlagGroup] = {}  # procedure name -> the flags of its hyper-parameters


def _define(name: str, procedure) -> None:
    _GROUPS[name] = hparams.define_flags(procedure.hparams_type, __name__)


PROCEDURES.on_register(_define)


def values(changes: Optional[dict] = None) -> dict:
    """Every procedure's hyper-parameters by name, as the flags (with `changes`, flag name -> value) give them:
    `procedures.make(name, base, **values())` picks the procedure's own."""
    found = {}
    for group in _GROUPS.values():
        found.update(group.values(changes))
    return found


def config(procedure: str, changes: Optional[dict] = None):
    """One procedure's hyper-parameters from the flags, checked (`tf_tickets.train --criterion=jackpot` reads the
    jackpot procedure's search settings)."""
    return _GROUPS[procedure].config(changes)
