"""One run: data -> model -> masks -> `fit` -> results, in its run directory.

Entry points and procedures describe runs as `RunSpec`s (`tf_tickets.runs`) and hand them to
`execute`, which composes small steps that a new procedure can reuse: `Run` (what the parts share),
`build_model`, the mask source's initial masks and callbacks, the check's callback, the outputs'
callbacks, and `finish`.
"""
import contextlib
import functools
import os
import tempfile
import logging as py_logging
from typing import Callable, List, Optional, Sequence

from tf_tickets import checks, models, run_files
from tf_tickets.callbacks import rewind
from tf_tickets.data import ImageData
from tf_tickets.data.batches import steps_per_epoch
from tf_tickets.durations import Duration
from tf_tickets.files import write_atomic, write_json
from tf_tickets.masks import save as save_mask_file
from tf_tickets.pruning import assign_masks, collapse, current_masks, format_report, sparsity_report, strip
from tf_tickets.pruning.report import totals
from tf_tickets.runs import RunSpec
from tf_tickets.runs.record import StageRecord
from tf_tickets.training import trainers
from tf_tickets.training.run_dir import RunDir

__all__ = ["Run", "RunSpec", "build_model", "execute", "finish"]

REINIT_SEED_OFFSET = 10007  # the reinitialisation check draws fresh weights from seed + this


class Run:
    """One run being set up: its spec and data, and what its parts share, each made once. `trainer` is the
    training loop of the model's Keras (`tf_tickets.training.trainers`), known once the model is built."""

    def __init__(self, spec: RunSpec, data: ImageData, build: Optional[Callable] = None):
        self.spec, self.data, self.build = spec, data, build
        self.seed = spec.train.seed
        self.check = checks.get(spec.check) if spec.check else None
        self.steps_per_epoch = steps_per_epoch(len(data.x_train), spec.train.batch_size)
        self.trainer = None
        corrupt = self.check.corrupt if self.check and self.check.corrupt else None
        self.pruning_data = corrupt(data, self.seed) if corrupt else data  # what the pruning step sees
        # A run whose training decides masks (a dense run whose weights later stages prune, a run that prunes
        # while it trains, an earlier level of iterative pruning) learns from the data the pruning step sees;
        # the final ticket trains on clean data.
        self.train_data = self.pruning_data if spec.trains_on_check_data else data

    def to_steps(self, duration: Duration) -> int:
        return duration.to_steps(self.steps_per_epoch)

    @functools.cached_property
    def start_weights(self) -> Optional[dict]:
        return rewind.load(str(self.spec.start.weights))[0] if self.spec.start.weights else None

    @functools.cached_property
    def pruner(self):
        options = dict(self.check.pruner_options) if self.check else {}
        return self.spec.pruning.pruner(self.seed, **options)

    def scoring_data(self):
        """What a data-dependent criterion sees: the training data (augmented, shuffled by the seed), as the
        model's Keras trains on it."""
        return self.trainer.scoring_data(self.pruning_data, self.spec.train)

    def fresh_model(self, seed: int):
        """The registry's model `spec.model`, or the user's own `build(seed)`."""
        if self.build is not None:
            return self.build(seed)
        return models.build(self.spec.model, self.data.input_shape, self.data.num_classes, seed=seed)


def build_model(run: Run):
    """The seeded model (or the start weights), wrapped by the pruning policy unless the run is dense."""
    model = run.fresh_model(run.seed)
    run.trainer = trainers.of(model)
    if run.start_weights is not None:
        rewind.restore(model, run.start_weights)
    return model if run.spec.dense else run.spec.masks.wrap(run, model)


def check_callbacks(run: Run, model) -> List:
    """The check's callback, made from `model` as training starts (before masks zero any weight)."""
    if run.check is None or run.check.callback is None:
        return []
    context = checks.CheckContext(
        run.seed, run.spec.start.step, start_weights=lambda: rewind.snapshot(model),
        fresh_weights=lambda: rewind.snapshot(run.fresh_model(run.seed + REINIT_SEED_OFFSET)))
    return [run.check.callback(context)]


def output_callbacks(run: Run, run_dir: RunDir, chief: bool) -> List:
    capture_at = run.spec.outputs.capture_at
    if capture_at is None:
        return []
    return [rewind.CaptureWeights(run.to_steps(capture_at), run_dir.file(run_files.REWIND_POINT), enabled=chief)]


def execute(spec: RunSpec, data: ImageData, run_dir: RunDir, strategy=None, chief: bool = True,
            verbose: Optional[int] = None, build: Optional[Callable] = None,
            compiled=None, callbacks: Sequence = (), record: Optional[StageRecord] = None) -> dict:
    """Trains the run (resuming it if it was cut short) and returns its results.

    The initial masks are computed and checked against the model before the run directory is claimed,
    so that bad input (say, labels beyond the model's classes) leaves nothing behind. Log lines of the
    run go to its directory's log file as well. `verbose`: Keras' verbosity for `fit` (None: default);
    `build(seed)`: the user's own model (tf_keras, or Keras 3 on any backend) instead of the registry's
    `spec.model`; `compiled`: the compiled models a grid's tf_keras runs share (`training/compiled.py`);
    `callbacks`: Keras callbacks called before those that write the run's files (a grid's `KeepClaim`);
    `record`: what the run is within its procedure (`stage.json`; a run of its own when None).
    """
    run = Run(spec, data, build)
    with held_log() as earlier:  # what pruning says before the directory exists goes to its log file too
        with strategy.scope() if strategy is not None else contextlib.nullcontext():  # the strategy's variables
            model = build_model(run)
        callbacks = list(callbacks) + check_callbacks(run, model)
        masks = spec.masks.initial_masks(run, model)
        if masks is not None:
            assign_masks(model, masks)  # checks that the masks fit the model
            collapse.check(model, spec.pruning.on_collapse)  # "raise" stops here, before anything is written
    run_dir.claim(spec.to_config())
    if chief:
        run_dir.keep_record(record if record is not None else StageRecord.of_run(spec))
    with run_log(run_dir, chief, earlier):
        return _train(run, model, callbacks, run_dir, strategy, chief, verbose, compiled)


def _train(run: Run, model, callbacks, run_dir, strategy, chief, verbose, compiled=None) -> dict:
    spec = run.spec
    if not spec.dense:
        step = run.trainer.pruning_callbacks(spec.masks.uses_pruning_step)  # TF-MOT's UpdatePruningStep, or none
        callbacks = step + spec.masks.callbacks(run) + callbacks
    callbacks += output_callbacks(run, run_dir, chief)
    model, results = run.trainer.train(model, run.train_data, spec.train, run_dir, strategy, callbacks=callbacks,
                                       initial_step=spec.start.step, verbose=verbose, compiled=compiled)
    return finish(run, model, results, run_dir, chief)


class _Held(py_logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: List[py_logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def held_log():
    """The log records of a block, kept (as a list) for a log file that does not exist yet."""
    held = _Held()
    root = py_logging.getLogger()
    root.addHandler(held)
    try:
        yield held.records
    finally:
        root.removeHandler(held)


@contextlib.contextmanager
def run_log(run_dir: RunDir, enabled: bool = True, earlier: Sequence[py_logging.LogRecord] = ()):
    """Every log record while the run trains (ours, TensorFlow's, warnings) appended to its log file,
    after the `earlier` ones (those of its set-up, before the directory existed)."""
    if not enabled:
        yield
        return
    handler = py_logging.FileHandler(run_dir.file(run_files.LOG))
    handler.setFormatter(py_logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for record in earlier:
        handler.handle(record)
    root = py_logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


def save_model(model, path: str, keep: bool = True) -> None:
    """`model.save` to a temporary name in the same directory, then renamed (`keep`) or deleted."""
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".partial-", suffix=os.path.basename(path))
    os.close(fd)
    model.save(partial)  # overwrites the empty file
    if keep:
        os.replace(partial, path)
    else:
        os.remove(partial)


def finish(run: Run, model, results: dict, run_dir: RunDir, chief: bool = True) -> dict:
    """Adds the sparsity report, writes the masks and weights later stages read and the trained model (for
    export), then `results.json`."""
    corrupt = run.spec.check_of((checks.DATA,))
    # Which data each part saw, so that a data check's reach is on record (the ticket's own training is clean
    # unless its training decides masks).
    results["train_data"] = corrupt if run.spec.trains_on_check_data else "clean"
    if not run.spec.dense:
        results["pruning_data"] = corrupt or "clean"
        rows = sparsity_report(model)
        results["sparsity_report"] = rows
        results["density"] = totals(rows)["density"]
        results["collapsed"] = collapse.find(model)  # empty layers, and whether the network stays connected
        if chief:
            save_mask_file(current_masks(model), run_dir.file(run_files.MASKS))
            write_json(run_dir.file(run_files.SPARSITY_JSON), rows)
            write_atomic(run_dir.file(run_files.SPARSITY_MD), format_report(rows) + "\n")
    if chief and run.spec.outputs.save_weights:
        rewind.save(rewind.snapshot(model), run_dir.file(run_files.FINAL_WEIGHTS), results["steps"])
    # Every worker saves (under multi-worker training reading the weights is a collective); only the chief keeps it.
    save_model(model if run.spec.dense else strip(model), run_dir.file(run_files.MODEL), keep=chief)
    if chief:
        run_dir.finish(results)
    return results
