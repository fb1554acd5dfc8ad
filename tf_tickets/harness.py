"""What every entry point shares: the run the flags describe, its data, its devices, its flagfile.

`train`, `compare` and `sanity` import this, never each other.
"""
import dataclasses
from typing import Optional

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


def mask_source(criterion: str):
    """Where the flags say the masks come from: a mask file, the criterion (at init or at a step), a jackpot
    search, or none."""
    if pruning_flags.MASK_FILE.value:
        if criterion not in (DENSE, "file"):
            raise TicketsError("--mask_file gives the masks: leave --method/--criterion unset (or set it to file)")
        return FromFile(Ref.at(pruning_flags.MASK_FILE.value), spelled=criterion)
    if criterion == "file":
        raise TicketsError("--method=file needs --mask_file")
    if criterion == DENSE:
        return NoMasks()
    if criterion == JACKPOT:
        if pruning_flags.prune_at() is not None:
            raise TicketsError("a jackpot searches from the first step: leave --prune_at unset")
        search = procedure_flags.search_config()
        return Search(search.rate, batch_statistics=search.batch_statistics)
    return FromCriterion(at=pruning_flags.prune_at())


def spec_from_flags(criterion: Optional[str] = None, budget: Optional[str] = None) -> RunSpec:
    """The run the flags describe; `criterion` and `budget` replace the flags' when given."""
    models.MODELS.lookup(F.MODEL.value)
    if not 0 < F.TRAIN_FRACTION.value <= 1:
        raise TicketsError(f"--train_fraction must be in (0, 1], got {F.TRAIN_FRACTION.value}")
    criterion = criterion if criterion is not None else pruning_flags.criterion()
    pruning = pruning_flags.pruning_config(DENSE if criterion == JACKPOT else criterion)
    if budget:
        pruning = dataclasses.replace(pruning, budget=budget)
    train = train_flags.train_config()
    if criterion == JACKPOT:  # the search's own settings (the reference's by default), never the training flags'
        train = procedure_flags.search_config().train_config(
            train, procedure_flags.SEARCH_STEPS.value or train.training_steps)
    return RunSpec(model=F.MODEL.value, dataset=F.DATASET.value, train=train,
                   pruning=pruning, masks=mask_source(criterion), train_fraction=F.TRAIN_FRACTION.value,
                   mixed_precision=F.MIXED_PRECISION.value)


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


def flagfile(*modules) -> str:
    """The training and pruning flags (and those of `modules`) as a flagfile that reproduces the run."""
    return cli.as_flagfile(train_flags, pruning_flags, *modules)
