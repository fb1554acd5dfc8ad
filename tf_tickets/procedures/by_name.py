"""A procedure by its name: a registered one (`procedure[:criterion]`), or, for a criterion's name, its ticket
at initialisation. It sits above `base` and `at_init`, so that neither imports the other's importer."""
from typing import FrozenSet

from tf_tickets.errors import TicketsError
from tf_tickets.hparams import field_names
from tf_tickets.procedures.at_init import AtInit
from tf_tickets.procedures.base import PROCEDURES, Procedure, check_name, split
from tf_tickets.runs import RunSpec


def hparam_names() -> FrozenSet[str]:
    """The hyper-parameters of every registered procedure, by name."""
    return frozenset(n for name in PROCEDURES.in_order() for n in field_names(PROCEDURES.get(name).hparams_type))


def from_config(config: dict, base: RunSpec) -> Procedure:
    """The procedure `Procedure.to_config` wrote, over the run `base`."""
    return make(config["procedure"], base, **config.get("hparams", {}))


def make(name: str, base: RunSpec, **hparams) -> Procedure:
    """A partially-trained procedure by name (`procedure[:criterion]`, the criterion ranking the trained
    weights), or, for a criterion's name, its ticket at initialisation, over the run `base`. `hparams`:
    procedures' hyper-parameters by name, as plain values or their flags' (levels=3, rewind_to="500it",
    gmp_frequency=50, search=SearchConfig(...)); the procedure takes its own, and a name that no procedure
    takes is a one-line error."""
    check_name(name)
    unknown = sorted(set(hparams) - hparam_names())
    if unknown:
        raise TicketsError(f"no procedure takes a setting {unknown[0]!r}; they take: "
                           f"{', '.join(sorted(hparam_names()))}")
    procedure, criterion = split(name)
    if procedure in PROCEDURES:
        cls = PROCEDURES.get(procedure)
        own = field_names(cls.hparams_type)
        return cls(base, cls.hparams_type.from_dict({k: v for k, v in hparams.items() if k in own}), criterion)
    return AtInit(base, procedure)
