"""One run: data -> model -> (masks) -> `fit` -> results, in its run directory.

Entry points (`train`, `compare`, `sanity`) describe runs as `RunSpec`s and hand them here. A run
may start from another run's weights (a rewind point, or trained weights), score another run's
weights to find its masks, prune only within another run's masks (iterative magnitude pruning),
corrupt the data its pruning step sees, and apply a mask-side sanity check when training starts.
"""
import dataclasses
from typing import Optional

import tensorflow_model_optimization as tfmot
from absl import logging

from tf_tickets import models
from tf_tickets.callbacks import PruneAtStep, checks, rewind
from tf_tickets.data import ImageData, corrupt, pipeline
from tf_tickets.durations import Duration
from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic, write_json
from tf_tickets.pruning import assign_masks, current_masks, format_report, mask_files, sparsity_report, wrap
from tf_tickets.pruning.config import INIT, PruningConfig
from tf_tickets.pruning.report import totals
from tf_tickets.training import loop
from tf_tickets.training.config import TrainConfig
from tf_tickets.training.run_dir import RunDir

DATA_CHECKS = ("none", "random_labels", "random_pixels", "half_data")
MASK_CHECKS = ("none", "rearrange", "shuffle", "reinit")
REINIT_SEED_OFFSET = 10007  # the reinitialisation check draws fresh weights from seed + this


@dataclasses.dataclass(frozen=True)
class RunSpec:
    model: str
    dataset: str
    train: TrainConfig
    pruning: PruningConfig = PruningConfig()
    train_fraction: float = 1.0
    mixed_precision: bool = False
    # Partially-trained tickets and sanity checks:
    corrupt: str = "none"  # corrupts the data this run's pruning sees (a dense run: its training data)
    start_from: Optional[str] = None  # weights snapshot (.npz) to start from, instead of the seeded init
    start_step: int = 0  # optimizer step to start at (late rewinding continues the schedule there)
    score_from: Optional[str] = None  # weights snapshot the criterion scores (default: the start weights)
    within_masks: Optional[str] = None  # prune only among weights these masks kept (IMP levels)
    mask_check: str = "none"  # rearrange | shuffle | reinit, applied when training starts
    capture_at: Optional[str] = None  # save the weights at this point (e.g. 0it, 500it) as rewind.npz
    save_weights: bool = False  # save the final weights as final_weights.npz (for later stages)

    def __post_init__(self):
        if self.corrupt not in DATA_CHECKS:
            raise TicketsError(f"unknown data check {self.corrupt!r}; known: {', '.join(DATA_CHECKS)}")
        if self.mask_check not in MASK_CHECKS:
            raise TicketsError(f"unknown mask check {self.mask_check!r}; known: {', '.join(MASK_CHECKS)}")
        if self.mask_check != "none" and self.pruning.is_dense:
            raise TicketsError(f"the {self.mask_check} check needs a pruned network: set a method")
        if self.capture_at:
            Duration.parse(self.capture_at)

    def identity(self) -> dict:
        """The settings that change what is trained (a run directory holds one run)."""
        train = {k: v for k, v in self.train.to_dict().items() if k not in TrainConfig.OBSERVATION_ONLY}
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("train", "pruning")}
        return {**fields, "pruning": self.pruning.to_dict(), **train}


def corrupted(data: ImageData, check: str, seed: int) -> ImageData:
    if check == "random_labels":
        return corrupt.random_labels(data, 1.0, seed=seed)
    if check == "random_pixels":
        return corrupt.random_pixels(data, seed=seed)
    if check == "half_data":
        return corrupt.subsample(data, 0.5, seed=seed)
    return data


def scoring_data(data: ImageData, spec: RunSpec):
    """What a data-dependent criterion sees: the training pipeline (augmented, shuffled by the seed)."""
    return pipeline.train_dataset(data, spec.train.batch_size, spec.train.seed, augment=spec.train.augment)


def save_masks(run_dir: RunDir, model, rows) -> None:
    """Writes masks.npz and the sparsity report `rows` (JSON and Markdown)."""
    mask_files.save(current_masks(model), run_dir.file("masks.npz"))
    write_json(run_dir.file("sparsity.json"), rows)
    write_atomic(run_dir.file("sparsity.md"), format_report(rows) + "\n")


def _mask_check(spec: RunSpec, shape, classes, unmasked_start):
    seed = spec.train.seed
    if spec.mask_check == "rearrange":
        return checks.RearrangeMasks(seed, rewind.snapshot(unmasked_start), spec.start_step)
    if spec.mask_check == "shuffle":
        return checks.ShuffleWeights(seed, spec.start_step)
    fresh = rewind.snapshot(models.build(spec.model, shape, classes, seed=seed + REINIT_SEED_OFFSET))
    return checks.Reinitialize(fresh, spec.start_step)


def execute(spec: RunSpec, data: ImageData, run_dir: RunDir, strategy=None, chief: bool = True) -> dict:
    """Trains the run (resuming it if it was cut short) and returns its results.

    Masks at initialisation are computed before the run directory is claimed, so that bad input
    (say, labels beyond the model's classes) leaves nothing behind.
    """
    pruning, seed = spec.pruning, spec.train.seed
    shape, classes = data.input_shape, data.num_classes
    steps_per_epoch = pipeline.steps_per_epoch(len(data.x_train), spec.train.batch_size)
    prune_step = 0 if pruning.prune_at == INIT else Duration.parse(pruning.prune_at).to_steps(steps_per_epoch)
    pruning_data = corrupted(data, spec.corrupt, seed)
    train_data = pruning_data if pruning.is_dense else data
    start_weights = rewind.load(spec.start_from)[0] if spec.start_from else None

    def base_model():
        model = models.build(spec.model, shape, classes, seed=seed)
        if start_weights is not None:
            rewind.restore(model, start_weights)
        return model

    init_masks = None
    if pruning.mask_file or (pruning.prunes_by_criterion and prune_step == 0):
        ticket = wrap(base_model(), pruning.policy)
        if pruning.mask_file:
            init_masks = mask_files.load(pruning.mask_file)
        else:
            if spec.score_from:
                rewind.restore(ticket, rewind.load(spec.score_from)[0])
            within = mask_files.load(spec.within_masks) if spec.within_masks else None
            logging.info("pruning: %s, %s budget, sparsity %.4f%s", pruning.method, pruning.budget,
                         pruning.sparsity, " (inverted scores)" if pruning.invert else "")
            init_masks = pruning.pruner(seed).masks(ticket, data=scoring_data(pruning_data, spec), within=within)
        assign_masks(ticket, init_masks)  # checks that the masks fit the model

    run_dir.claim(spec.identity())

    def build():
        model = base_model()
        if pruning.is_dense:
            return model
        model = wrap(model, pruning.policy)
        if init_masks is not None:
            assign_masks(model, init_masks)
        return model

    callbacks = []
    if spec.capture_at:
        capture_step = Duration.parse(spec.capture_at).to_steps(steps_per_epoch)
        callbacks.append(rewind.CaptureWeights(capture_step, run_dir.file("rewind.npz"), enabled=chief))
    if not pruning.is_dense:
        callbacks.append(tfmot.sparsity.keras.UpdatePruningStep())
        if init_masks is None:
            pruner = pruning.pruner(seed)

            def prune_now(model):
                logging.info("pruning at step %d: %s, %s budget", prune_step, pruning.method, pruning.budget)
                assign_masks(model, pruner.masks(model, data=scoring_data(pruning_data, spec)))

            callbacks.append(PruneAtStep(prune_step, prune_now))
        if spec.mask_check != "none":
            callbacks.append(_mask_check(spec, shape, classes, base_model()))

    model, results = loop.train(build, train_data, spec.train, run_dir, strategy, callbacks=callbacks,
                                initial_step=spec.start_step)
    if not pruning.is_dense:
        results["sparsity_report"] = sparsity_report(model)
        results["density"] = totals(results["sparsity_report"])["density"]
        if chief:
            save_masks(run_dir, model, results["sparsity_report"])
    if chief and spec.save_weights:
        rewind.save(rewind.snapshot(model), run_dir.file("final_weights.npz"), results["steps"])
    if chief:
        run_dir.finish(results)
    return results
