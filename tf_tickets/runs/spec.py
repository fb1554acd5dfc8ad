"""A run, as data: model and data, where training starts, where the masks come from, one check, outputs.

    RunSpec(model, dataset, train, pruning, masks=FromCriterion(), start=Start(), check="rearrange")

`to_config()` is the run's record, what a run directory stores as `config.json` and compares to refuse
another run's directory (its identity), and `RunSpec.from_config(config)` reads it back: the run as
data again, for tables, export and tune. It keeps the flat layout that run directories have always had,
so a run made by an earlier version is recognised and reused; a setting added later enters it only when
it differs from its default. Settings that change how a run is watched, not what it trains (evaluation
batch size, steps per call, how collapse is reported), are not recorded and read back as their defaults.
"""
import dataclasses
import os
from typing import Optional, Tuple

from tf_tickets import checks, criteria
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.files import read_json
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.runs.mask_sources import MaskSource, NoMasks
from tf_tickets.runs.mask_sources import from_config as mask_source_from_config
from tf_tickets.run_files import CONFIG
from tf_tickets.runs.refs import Ref, from_path, path_of, resolved
from tf_tickets.training.config import TrainConfig


@dataclasses.dataclass(frozen=True)
class Start:
    """Where training starts: the seeded initialisation, or saved `weights`; at optimizer step `step`
    (late rewinding continues the learning-rate schedule there)."""

    weights: Optional[Ref] = None
    step: int = 0

    def to_config(self) -> dict:
        return {"start_from": path_of(self.weights), "start_step": self.step}

    @classmethod
    def from_config(cls, config: dict, root: Optional[str] = None) -> "Start":
        return cls(from_path(config.get("start_from"), root), config.get("start_step", 0))


@dataclasses.dataclass(frozen=True)
class Outputs:
    """What a run saves for later stages besides its masks."""

    capture_at: Optional[Duration] = None  # the weights at this point, as REWIND_POINT (0it: the initialisation)
    save_weights: bool = False  # the final weights, as FINAL_WEIGHTS

    def __post_init__(self):
        if self.capture_at is not None:
            object.__setattr__(self, "capture_at", Duration.parse(self.capture_at))

    def to_config(self) -> dict:
        return {"capture_at": str(self.capture_at) if self.capture_at is not None else None,
                "save_weights": self.save_weights}

    @classmethod
    def from_config(cls, config: dict) -> "Outputs":
        return cls(config.get("capture_at"), config.get("save_weights", False))


@dataclasses.dataclass(frozen=True)
class RunSpec:
    model: str
    dataset: str
    train: TrainConfig
    pruning: PruningConfig = PruningConfig()  # criterion, sparsity, budget, policy (for masked runs)
    masks: MaskSource = NoMasks()
    start: Start = Start()
    check: Optional[str] = None  # a sanity check from `tf_tickets.checks`
    outputs: Outputs = Outputs()
    train_fraction: float = 1.0
    mixed_precision: bool = False
    # Set by the plan (`StagePlan`), not by procedures: a later run's masks are decided by this run's trained
    # weights or masks, so under a data check it trains on the corrupted data too (Su et al.'s checks corrupt
    # the data that decides the mask); only the final ticket retrains on clean data.
    decides_masks: bool = False

    def __post_init__(self):
        if self.check is not None:
            check = checks.get(self.check)
            if check.acts_on != checks.DATA and self.masks.dense:
                raise TicketsError(f"the {self.check} check needs a pruned network: set a criterion or procedure")
        self.masks.validate(self.pruning)

    @property
    def dense(self) -> bool:
        return self.masks.dense

    @property
    def trains_on_check_data(self) -> bool:
        """Whether training sees the data check's corrupted data (else the clean data)."""
        return self.check_of((checks.DATA,)) is not None and (self.masks.trains_on_pruning_data or self.decides_masks)

    def refs(self) -> Tuple[Ref, ...]:
        """The files of other runs that this run reads."""
        return tuple(r for r in (self.start.weights,) + self.masks.refs() if r is not None)

    def mask_refs(self) -> Tuple[Ref, ...]:
        """The files of other runs that decide this run's masks (trained weights, masks)."""
        start = (self.start.weights,) if self.masks.scores_start_weights else ()
        return tuple(r for r in self.masks.refs() + start if r is not None)

    def resolved(self, root: str) -> "RunSpec":
        """The spec with every reference to another run's files resolved under `root`."""
        return dataclasses.replace(self, start=dataclasses.replace(self.start, weights=resolved(self.start.weights, root)),
                                   masks=self.masks.resolved(root))

    def check_of(self, acts_on) -> Optional[str]:
        if self.check and checks.get(self.check).acts_on in acts_on:
            return self.check
        return None

    def to_config(self) -> dict:
        """The run's record (its identity: a run directory holds one run), as config.json holds it."""
        train = {k: v for k, v in self.train.to_dict().items() if k not in TrainConfig.OBSERVATION_ONLY}
        if self.dense:
            pruning = {"method": "dense"}
        else:
            pruning = {**self.pruning.to_dict(), "mask_file": None, "prune_at": "init",
                       "invert": self.check_of((checks.SCORES,)) is not None, **self.masks.pruning_identity()}
        return {
            "model": self.model, "dataset": self.dataset, "train_fraction": self.train_fraction,
            "mixed_precision": self.mixed_precision,
            "corrupt": self.check_of((checks.DATA,)) or "none",
            "mask_check": self.check_of((checks.MASKS, checks.WEIGHTS)) or "none",
            **self.start.to_config(),
            "score_from": None, "within_masks": None, **self.masks.run_identity(),
            **self.outputs.to_config(),
            "pruning": pruning, **train, **self._training_data_identity(),
        }

    identity = to_config  # what a run directory compares: the record itself

    @classmethod
    def from_config(cls, config: dict, root: Optional[str] = None) -> "RunSpec":
        """The run `config` (a config.json, from this version or an earlier one) records; references to other
        runs' files are found under `root` when given. `RunSpec.from_config(c).to_config() == c`."""
        pruning = config["pruning"]
        own = {k: pruning[k] for k in PruningConfig.recorded_keys() if k in pruning}
        if own.get("method") not in criteria.CRITERIA:  # dense, a mask file, a search, gradual pruning, a union
            own.pop("method", None)
        check = next((config[k] for k in ("corrupt", "mask_check") if config.get(k, "none") != "none"),
                     "invert" if pruning.get("invert") else None)
        train = {k: v for k, v in config.items() if k in TrainConfig.recorded_keys()}
        return cls(model=config["model"], dataset=config["dataset"], train=TrainConfig.from_dict(train),
                   pruning=PruningConfig.from_dict(own), masks=mask_source_from_config(config, root),
                   start=Start.from_config(config, root), check=check, outputs=Outputs.from_config(config),
                   train_fraction=config.get("train_fraction", 1.0),
                   mixed_precision=config.get("mixed_precision", False), decides_masks="train_data" in config)

    @classmethod
    def read(cls, run_dir: str, root: Optional[str] = None) -> "RunSpec":
        """The run a run directory's config.json records; a one-line error when it holds none."""
        config = read_json(os.path.join(run_dir, CONFIG))
        if config is None:
            raise TicketsError(f"{run_dir} is not a run directory (no {CONFIG})")
        try:
            return cls.from_config(config, root)
        except (KeyError, TypeError, ValueError) as error:
            raise TicketsError(f"{os.path.join(run_dir, CONFIG)} is not a run's settings ({error})") from None

    def _training_data_identity(self) -> dict:
        """A masked run that trains on a data check's corrupted data because it decides later masks (added
        later: a run whose mask source already trains on the check's data, and every clean run, keep the
        identity they always had)."""
        if self.decides_masks and self.trains_on_check_data and not self.masks.trains_on_pruning_data:
            return {"train_data": self.check}
        return {}
