"""Where a run's masks come from: none (dense), a criterion, a file, or other runs' masks combined.

A mask source gives the masks a ticket starts training with (`initial_masks`, computed before the run
directory is claimed, so that bad input leaves nothing behind) and any callbacks that set masks
during training (pruning at a step). A new way of finding masks (a search, say) is a new subclass;
the runner does not change. `run` is the runner's `Run`: the spec, the data its pruning step sees,
the pruner, step arithmetic.
"""
import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from absl import logging

from tf_tickets import criteria, jackpot, kinds
from tf_tickets import masks as mask_files
from tf_tickets.callbacks import PruneAtStep, rewind
from tf_tickets.callbacks.restriction import RATES, ShortRestriction
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import assign_masks, collapse, compose, stacks
from tf_tickets.runs.refs import Ref, from_path, path_of, resolved

Masks = Dict[str, np.ndarray]


class MaskSource:
    dense = False  # True: the run carries no masks at all
    trains_on_pruning_data = False  # True: the masks come out of training itself, so a data check corrupts it

    uses_pruning_step = True  # TF-MOT's wrappers need its UpdatePruningStep callback
    scores_start_weights = False  # True: the weights the run starts from decide its masks

    def schedule_for(self, run):
        """The TF-MOT `PruningSchedule` of each wrapped layer, as `schedule_for(layer)`; None: masks held fixed."""
        return None

    def wrap(self, run, model):
        """`model` with its prunable layers carrying masks, by the run's policy (TF-MOT's wrappers on a tf_keras
        model, masks in a Keras 3 model's own layers: the model's stack)."""
        return stacks.of(model).wrap(model, run.spec.pruning.policy)

    def validate(self, pruning) -> None:
        """One-line errors for settings this source cannot work with."""

    def refs(self) -> Tuple[Optional[Ref], ...]:
        return ()

    def resolved(self, root: str) -> "MaskSource":
        return self

    def initial_masks(self, run, model) -> Optional[Masks]:
        """The masks of `model` (wrapped, as training starts) before the first step, or None."""
        return None

    def callbacks(self, run) -> List:
        return []

    def pruning_identity(self) -> dict:
        """This source's entries in the run identity's "pruning" section."""
        return {}

    def run_identity(self) -> dict:
        """This source's top-level entries in the run identity."""
        return {}

    @classmethod
    def recorded_in(cls, config: dict) -> bool:
        """Whether `config` (a run's record) holds a run of this source (`from_config` asks each in turn)."""
        return False

    @classmethod
    def read(cls, config: dict, root: Optional[str]) -> "MaskSource":
        """This source, from its entries in `config` (what `pruning_identity` and `run_identity` wrote)."""
        return cls()


@dataclasses.dataclass(frozen=True)
class NoMasks(MaskSource):
    """A dense run."""

    dense = True
    trains_on_pruning_data = True  # a dense run trains on what later pruning steps see

    @classmethod
    def recorded_in(cls, config):
        return config["pruning"].get("method") == "dense" and not config["pruning"].get("mask_file")


@dataclasses.dataclass(frozen=True)
class FromCriterion(MaskSource):
    """The run's criterion under its budget (`RunSpec.pruning`), when training starts or `at` a step of
    it; scoring the `score_from` weights instead of the start weights (a partially-trained ticket), and
    keeping only weights the `within` masks kept (the levels of iterative magnitude pruning)."""

    at: Optional[Duration] = None  # None: when training starts
    score_from: Optional[Ref] = None
    within: Optional[Ref] = None

    def __post_init__(self):
        if self.at is not None:
            object.__setattr__(self, "at", Duration.parse(self.at))

    def validate(self, pruning):
        if pruning.criterion is None:
            raise TicketsError("no criterion chosen to compute the masks: set --criterion (or --method)")

    @property
    def scores_start_weights(self):
        return self.score_from is None

    def refs(self):
        return (self.score_from, self.within)

    def resolved(self, root):
        return dataclasses.replace(self, score_from=resolved(self.score_from, root), within=resolved(self.within, root))

    def _prune_step(self, run) -> int:
        return 0 if self.at is None else run.to_steps(self.at)

    def initial_masks(self, run, model):
        if self._prune_step(run) > 0:
            return None
        pruning = run.spec.pruning
        logging.info("pruning: %s, %s budget, sparsity %.4f%s", pruning.criterion, pruning.budget, pruning.sparsity,
                     " (inverted scores)" if run.pruner.invert else "")
        weights = rewind.load(str(self.score_from))[0] if self.score_from else None
        within = mask_files.load(str(self.within)) if self.within else None
        return run.pruner.masks(model, data=run.scoring_data(), within=within, weights=weights)

    def callbacks(self, run):
        step = self._prune_step(run)
        if step == 0:
            return []

        def prune_now(model):
            logging.info("pruning at step %d: %s, %s budget", step, run.spec.pruning.criterion, run.spec.pruning.budget)
            assign_masks(model, run.pruner.masks(model, data=run.scoring_data()))
            collapse.check(model, run.spec.pruning.on_collapse)

        return [PruneAtStep(step, prune_now)]

    def pruning_identity(self):
        return {"prune_at": str(self.at) if self.at is not None else "init"}

    def run_identity(self):
        return {"score_from": path_of(self.score_from), "within_masks": path_of(self.within)}

    @classmethod
    def recorded_in(cls, config):
        return config["pruning"].get("method") in criteria.CRITERIA and not config["pruning"].get("mask_file") \
            and "combined" not in config["pruning"]

    @classmethod
    def read(cls, config, root):
        prune_at = config["pruning"].get("prune_at", "init")
        return cls(None if prune_at == "init" else prune_at, from_path(config.get("score_from"), root),
                   from_path(config.get("within_masks"), root))


@dataclasses.dataclass(frozen=True)
class FromFile(MaskSource):
    """Masks from a mask file (`.npz` keyed by layer name)."""

    path: Ref = None
    spelled: str = "dense"  # how the command line said it ("--method=file" or not): kept in the identity

    def refs(self):
        return (self.path,)

    def resolved(self, root):
        return dataclasses.replace(self, path=self.path.resolved(root))

    def initial_masks(self, run, model):
        return mask_files.load(str(self.path))

    def pruning_identity(self):
        return {"method": self.spelled, "mask_file": path_of(self.path)}

    @classmethod
    def recorded_in(cls, config):
        return bool(config["pruning"].get("mask_file"))

    @classmethod
    def read(cls, config, root):
        return cls(from_path(config["pruning"]["mask_file"], root), spelled=config["pruning"]["method"])


@dataclasses.dataclass(frozen=True)
class Gradual(MaskSource):
    """TF-MOT's own gradual magnitude pruning (`prune_low_magnitude` with `PolynomialDecay`): each layer's
    sparsity rises from 0 at `begin` to the run's sparsity at `end` (default: three quarters of the run),
    by magnitude inside the layer, every `frequency` steps. TF-MOT's schedule and wrapper do the pruning."""

    begin: Duration = "0it"
    end: Optional[Duration] = None
    frequency: int = 100
    power: int = 3
    trains_on_pruning_data = True

    def __post_init__(self):
        object.__setattr__(self, "begin", Duration.parse(self.begin))
        if self.end is not None:
            object.__setattr__(self, "end", Duration.parse(self.end))
        if self.frequency < 1 or self.power < 1:
            raise TicketsError(f"gradual pruning needs frequency >= 1 and power >= 1, got {self.frequency}, "
                               f"{self.power}")

    def steps(self, run) -> Tuple[int, int]:
        """(begin, end) steps; end is moved back onto the pruning grid so that the last pruning step reaches
        the target sparsity exactly."""
        total = run.spec.train.total_steps(run.steps_per_epoch)
        begin = run.to_steps(self.begin)
        end = run.to_steps(self.end) if self.end is not None else int(0.75 * total)
        end = begin + (end - begin) // self.frequency * self.frequency
        if not 0 <= begin < end <= total:
            raise TicketsError(f"gradual pruning from step {begin} to {end} (every {self.frequency}) does not fit "
                               f"in a run of {total} steps: adjust --gmp_begin/--gmp_end/--gmp_frequency")
        return begin, end

    def schedule_for(self, run):
        from tf_tickets.backend import tfmot  # TF-MOT's schedule, for a tf_keras model (`wrap`)

        begin, end = self.steps(run)
        sparsity = run.spec.pruning.sparsity
        return lambda layer: tfmot.sparsity.keras.PolynomialDecay(0.0, sparsity, begin, end, power=self.power,
                                                                  frequency=self.frequency)

    def wrap(self, run, model):
        if kinds.of(model) != kinds.TF_KERAS:
            raise TicketsError("gmp is TF-MOT's gradual magnitude pruning, which prunes tf_keras models only: for "
                               "a Keras 3 model pick another procedure (lottery, lr_rewinding, ...)")
        from tf_tickets.pruning.wrapping import wrap

        return wrap(model, run.spec.pruning.policy, self.schedule_for(run))

    def pruning_identity(self):
        return {"method": "gmp", "gmp": {"begin": str(self.begin), "end": str(self.end) if self.end else None,
                                         "frequency": self.frequency, "power": self.power}}

    @classmethod
    def recorded_in(cls, config):
        return config["pruning"].get("method") == "gmp"

    @classmethod
    def read(cls, config, root):
        return cls(**config["pruning"]["gmp"])


@dataclasses.dataclass(frozen=True)
class Search(MaskSource):
    """A lottery-jackpot search (`tf_tickets.jackpot`): the run trains scores, not weights, over its start
    weights, from magnitude masks under the run's budget; short restriction after each step (`rate`)."""

    rate: str = "constant"
    keep_classifier_dense: bool = True
    batch_statistics: bool = True  # BatchNorm normalises with batch statistics and updates its moving ones
    uses_pruning_step = False
    trains_on_pruning_data = True  # the search data is what data checks corrupt
    scores_start_weights = True  # the search starts from their magnitude masks

    def __post_init__(self):
        if self.rate not in RATES:
            raise TicketsError(f"unknown restriction rate {self.rate!r}; known: {', '.join(RATES)}")

    def wrap(self, run, model):
        pruning = run.spec.pruning
        return jackpot.start_search(model, pruning.sparsity, pruning.budget, dict(pruning.budget_options),
                                    pruning.policy, self.keep_classifier_dense, self.batch_statistics)

    def callbacks(self, run):
        return [ShortRestriction(self.rate, run.spec.train.epochs(run.steps_per_epoch))]

    def pruning_identity(self):
        settings = {"rate": self.rate, "keep_classifier_dense": self.keep_classifier_dense}
        if self.batch_statistics:  # added later (now the default): absent from the identities of frozen searches
            settings["batch_statistics"] = True
        return {"method": "jackpot", "jackpot": settings}

    @classmethod
    def recorded_in(cls, config):
        return config["pruning"].get("method") == "jackpot"

    @classmethod
    def read(cls, config, root):
        settings = config["pruning"]["jackpot"]
        return cls(settings["rate"], settings["keep_classifier_dense"], settings.get("batch_statistics", False))


COMBINATIONS = compose.COMBINATIONS


@dataclasses.dataclass(frozen=True)
class Combined(MaskSource):
    """The union or intersection of other runs' masks (mask consistency and composability)."""

    op: str = "union"
    members: Tuple[Ref, ...] = ()
    members_are = "masks"  # what the member files hold

    def __post_init__(self):
        if self.op not in COMBINATIONS:
            raise TicketsError(f"unknown mask combination {self.op!r}; known: {', '.join(COMBINATIONS)}")
        if len(self.members) < 2:
            raise TicketsError(f"a {self.op} needs the {self.members_are} of at least two runs, got {len(self.members)}")

    def refs(self):
        return tuple(self.members)

    def resolved(self, root):
        return dataclasses.replace(self, members=tuple(m.resolved(root) for m in self.members))

    def initial_masks(self, run, model):
        return COMBINATIONS[self.op]([mask_files.load(str(m)) for m in self.members])

    def pruning_identity(self):
        return {"method": self.op, "masks_from": [path_of(m) for m in self.members]}

    @classmethod
    def recorded_in(cls, config):
        return "masks_from" in config["pruning"]

    @classmethod
    def read(cls, config, root):
        return cls(config["pruning"]["method"], tuple(from_path(m, root) for m in config["pruning"]["masks_from"]))


@dataclasses.dataclass(frozen=True)
class Composed(Combined):
    """Siblings' masks combined at exactly the run's sparsity (Movva, Frankle, Carbin): `members` are
    trained networks' weights, each ranked by the run's criterion under its budget, then combined by
    `tf_tickets.pruning.compose.combine` (union or intersection, re-targeted to one member's count)."""

    members_are = "weights"

    def validate(self, pruning):
        FromCriterion().validate(pruning)
        rounds = criteria.make(pruning.criterion, **dict(pruning.criterion_options)).rounds
        if rounds != 1:
            raise TicketsError(f"{pruning.criterion} scores in {rounds} rounds, so its masks at one density do not "
                               "rank the weights once: combine the masks of a one-round criterion (magnitude)")

    def initial_masks(self, run, model):
        pruning = run.spec.pruning
        return compose.combine(self.op, rankings(run, model, self.members), pruning.sparsity, pruning.budget)

    def pruning_identity(self):
        return {"combined": {"op": self.op, "weights_of": [path_of(m) for m in self.members]}}

    @classmethod
    def recorded_in(cls, config):
        return "combined" in config["pruning"]

    @classmethod
    def read(cls, config, root):
        combined = config["pruning"]["combined"]
        return cls(combined["op"], tuple(from_path(m, root) for m in combined["weights_of"]))


SOURCES = (NoMasks, FromFile, Gradual, Search, Composed, Combined, FromCriterion)  # a new source: one more here


def from_config(config: dict, root: Optional[str] = None) -> MaskSource:
    """The mask source a run's record (config.json) holds; references to other runs' files under `root`."""
    found = next((source for source in SOURCES if source.recorded_in(config)), None)
    if found is None:
        raise TicketsError(f"a run record whose masks come from nothing tf_tickets knows: {config['pruning']}")
    return found.read(config, root)


def rankings(run, model, weight_files: Sequence[Ref]) -> List:
    """Each trained network's ranking by the run's criterion and budget (`Pruner.ranking`)."""
    return [run.pruner.ranking(model, data=run.scoring_data() if run.pruner.scorer.needs_data else None,
                               weights=rewind.load(str(ref))[0]) for ref in weight_files]
