"""Sanity checks on a user's own model and `tf.data` pipelines, with the command line's implementation.

    report = tf_tickets.sanity_check(build_model, train_ds, test_ds, method="snip", sparsity=0.9,
                                     checks=["random_labels", "rearrange"], seeds=[0, 1, 2], epochs=5)
    print(report)                     # the table with a verdict per check
    report.verdicts()                 # {"random labels": "does not", ...}

`build_model(seed)` returns a fresh tf_keras Functional or Sequential model with logits output (same
seed, same weights); the datasets yield `(x, y)` batches of preprocessed inputs and integer labels.
Every run is an ordinary run directory under `run_dir` (resumable; finished runs are reused); without
one, the runs live in a temporary directory and only the report is returned.
"""
import contextlib
import hashlib
import tempfile
from typing import Callable, Optional, Sequence


from tf_tickets.backend import keras
from tf_tickets.data import user
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import base
from tf_tickets.procedures.grid import Grid
from tf_tickets.procedures.report import Report, gather, run_stages
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.pruning.wrapping import check_model
from tf_tickets.runs import FromCriterion, NoMasks, RunSpec
from tf_tickets.training.config import TrainConfig


def _fingerprint(*parts) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
    return digest.hexdigest()[:12]


def _named_as(build: Callable, names) -> Callable:
    """`build`, its models' layers renamed by position to `names` (the first build's): Keras numbers
    unnamed layers anew at each build (dense_7, dense_9), and masks and weight snapshots are keyed by name."""

    def build_named(seed):
        model = build(seed)
        current = [layer.name for layer in model.layers]
        if current == names:
            return model
        renamed = dict(zip(current, names))
        copy = keras.models.clone_model(
            model, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(),
                                                                              "name": renamed[layer.name]}))
        copy.set_weights(model.get_weights())
        return copy

    return build_named


def sanity_check(build_model: Callable[[int], object], train_ds, test_ds, method: str = "snip",
                 sparsity: float = 0.9, checks: Optional[Sequence[str]] = None, seeds: Sequence[int] = (0, 1, 2),
                 epochs: int = 1, optimizer: str = "sgd", lr: float = 0.05, momentum: float = 0.9,
                 weight_decay: float = 0.0, batch_size: Optional[int] = None, budget: str = "global",
                 policy: str = "conv_dense", method_options: Optional[dict] = None, run_dir: Optional[str] = None,
                 verbose: bool = False, **procedure_settings) -> Report:
    """Runs `method` (a criterion pruned at initialisation, or a procedure such as lottery, lr_rewinding,
    hybrid, gmp, `lottery:magnitude_gradient`) and each check over `seeds` on the user's model and data;
    returns the table with its verdicts (`checks`: default, every check that applies). Procedure
    settings (`levels`, `rewind_to`, `finetune_steps`, `gmp_frequency`, ...) pass through."""
    model = build_model(0)
    check_model(model)
    if not isinstance(epochs, int) or epochs < 1:
        raise TicketsError(f"epochs must be a positive integer, got {epochs!r}")
    data = user.from_datasets(train_ds, test_ds, int(model.output_shape[-1]))
    if batch_size is None:
        batch_size = int(next(iter(train_ds))[0].shape[0])
    base.check_method(method)
    procedure_like = base.is_procedure(method)
    pruning = PruningConfig(criterion=None if procedure_like else method, sparsity=sparsity, budget=budget,
                            policy=policy, criterion_options=tuple(sorted((method_options or {}).items())))
    train = TrainConfig(training_steps=f"{epochs}ep", batch_size=batch_size, optimizer=optimizer, lr=lr,
                        momentum=momentum, weight_decay=weight_decay, lr_schedule="constant", milestones=(),
                        augment=False, validate_every_epoch=False)
    # The run identity names the user's model and data by fingerprints, so a changed model or data set
    # is never mistaken for the runs of the old one.
    architecture = [(type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in model.layers]
    spec = RunSpec(model=f"user:{model.name}:{_fingerprint(architecture)}", dataset=data.name, train=train,
                   pruning=pruning, masks=NoMasks() if procedure_like else FromCriterion())
    build = _named_as(build_model, [layer.name for layer in model.layers])
    procedure = base.make(method, spec, **procedure_settings)
    chosen = list(checks) if checks is not None else procedure.applicable_checks()
    with tempfile.TemporaryDirectory() if run_dir is None else contextlib.nullcontext(run_dir) as root:
        grid = Grid(procedure, sparsity, [int(s) for s in seeds], chosen, root)
        run_stages(grid, [s for wave in grid.waves() for s in wave], data, verbose=verbose, build=build)
        return gather(grid)
