"""What every entry point shares: the run the flags describe, its data, its devices, its flagfile.

`train`, `compare` and `sanity` import this, never each other.
"""
import dataclasses
from typing import Mapping, Optional

from tf_tickets import cli, data, models
from tf_tickets.data import corrupt
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import flags as pruning_flags
from tf_tickets.quiet import native_logs
from tf_tickets.pruning.config import DENSE
from tf_tickets.procedures import flags as procedure_flags
from tf_tickets.runs import FromCriterion, FromFile, NoMasks, Ref, RunSpec, Search
from tf_tickets.training import distribution
from tf_tickets.training import flags as train_flags

F = train_flags


JACKPOT = "jackpot"  # in `train`: a lottery-jackpot search over the --start_from weights


def mask_source(criterion: str, changes: Optional[Mapping] = None):
    """Where the flags say the masks come from: a mask file, the criterion (at init or at a step), a jackpot
    search, or none."""
    mask_file = _value(pruning_flags.MASK_FILE, changes)
    if mask_file:
        if criterion not in (DENSE, "file"):
            raise TicketsError("--mask_file gives the masks: leave --criterion unset (or set it to file)")
        return FromFile(Ref.at(mask_file), spelled=criterion)
    if criterion == "file":
        raise TicketsError("--criterion=file needs --mask_file")
    if criterion == DENSE:
        return NoMasks()
    if criterion == JACKPOT:
        if pruning_flags.prune_at(changes) is not None:
            raise TicketsError("a jackpot searches from the first step: leave --prune_at unset")
        search = procedure_flags.config(JACKPOT, changes).search
        return Search(search.rate, batch_statistics=search.batch_statistics)
    return FromCriterion(at=pruning_flags.prune_at(changes))


def spec_from_flags(criterion: Optional[str] = None, budget: Optional[str] = None,
                    changes: Optional[Mapping] = None) -> RunSpec:
    """The run the flags describe; `criterion` and `budget` replace the flags' when given, and `changes` (flag
    name -> value, as the flag would hold it) any flag's value: the trials of `tf_tickets.tune`."""
    model, fraction = _value(F.MODEL, changes), _value(F.TRAIN_FRACTION, changes)
    models.MODELS.lookup(model)
    if not 0 < fraction <= 1:
        raise TicketsError(f"--train_fraction must be in (0, 1], got {fraction}")
    criterion = criterion if criterion is not None else pruning_flags.criterion(changes)
    pruning = pruning_flags.pruning_config(DENSE if criterion == JACKPOT else criterion, changes)
    if budget:
        pruning = dataclasses.replace(pruning, budget=budget)
    train = train_flags.train_config(changes)
    if criterion == JACKPOT:  # the search's own settings (the reference's by default), never the training flags'
        jackpot = procedure_flags.config(JACKPOT, changes)
        train = jackpot.search.train_config(train, jackpot.search_steps or train.training_steps)
    return RunSpec(model=model, dataset=_value(F.DATASET, changes), train=train, pruning=pruning,
                   masks=mask_source(criterion, changes), train_fraction=fraction,
                   mixed_precision=_value(F.MIXED_PRECISION, changes))


def _value(holder, changes: Optional[Mapping]):
    return (changes or {}).get(holder.name, holder.value)


def load_data(spec: RunSpec):
    dataset = data.load(spec.dataset, F.DATA_DIR.value)
    if spec.train_fraction < 1:
        dataset = corrupt.subsample(dataset, spec.train_fraction, seed=spec.train.seed)
    return dataset


def devices(spec: RunSpec):
    """Sets up devices and precision as the flags say; returns (strategy, precision policy name)."""
    with native_logs():  # starting the runtime probes CUDA, which says so loudly on a machine without GPUs
        distribution.split_cpu(F.LOGICAL_CPUS.value)
        policy = distribution.set_precision(spec.mixed_precision)
        strategy = distribution.make_strategy(F.DISTRIBUTION.value)
        distribution.start_runtime()
    return strategy, policy


def flagfile(*modules, changes: Optional[Mapping] = None) -> str:
    """The training and pruning flags (and those of `modules`) as a flagfile that reproduces the run, with
    `changes` (flag name -> value) in place of the flags' values. The deprecated --method is not written: the
    --criterion it stands for is (`changes` may say otherwise: in tf_tickets.sanity it may be a procedure)."""
    return cli.as_flagfile(train_flags, pruning_flags, *modules, leave_out=(pruning_flags.METHOD.name,),
                           changes={**pruning_flags.without_method(changes), **(changes or {})})
