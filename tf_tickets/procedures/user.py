"""Sanity checks on a user's own model and data, with the command line's implementation.

    report = tf_tickets.sanity_check(build_model, train_ds, test_ds, method="snip", sparsity=0.9,
                                     checks=["random_labels", "rearrange"], seeds=[0, 1, 2], epochs=5)
    print(report)                     # the table with a verdict per check
    report.verdicts()                 # {"random labels": "does not", ...}

`build_model(seed)` returns a fresh model with logits output (same seed, same weights): a tf_keras Functional
or Sequential model, or a Keras 3 one (Functional, Sequential or subclassed) on the TensorFlow, JAX or PyTorch
backend, which trains with Keras 3's `fit` on NumPy batches (`tf_tickets.training.keras3`; no TensorFlow on
JAX and PyTorch). The datasets yield `(x, y)` batches of preprocessed inputs and integer labels (a
`tf.data.Dataset`, a `keras.utils.PyDataset`, a PyTorch `DataLoader`, any iterable of batches). Every run is
an ordinary run directory under `run_dir` (resumable; finished runs are reused); without one, the runs live
in a temporary directory and only the report is returned.
"""
import contextlib
import hashlib
import tempfile
from typing import Callable, Optional, Sequence

from tf_tickets import kinds
from tf_tickets.data import user
from tf_tickets.errors import TicketsError
from tf_tickets.procedures import base, by_name
from tf_tickets.procedures.grid import Grid
from tf_tickets.procedures.report import Report, gather, run_stages
from tf_tickets.pruning import stacks
from tf_tickets.pruning.config import PruningConfig
from tf_tickets.runs import FromCriterion, NoMasks, RunSpec
from tf_tickets.training.config import TrainConfig


def _fingerprint(*parts) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
    return digest.hexdigest()[:12]


def _layers(model):
    """The layers whose names masks and weight snapshots are keyed by."""
    return model.layers if kinds.of(model) == kinds.TF_KERAS else stacks.of(model).layers(model)


def _named_as(build: Callable, names) -> Callable:
    """`build`, its models' layers renamed by position to `names` (the first build's): Keras numbers
    unnamed layers anew at each build (dense_7, dense_9), and masks and weight snapshots are keyed by name."""

    def build_named(seed):
        model = build(seed)
        current = [layer.name for layer in _layers(model)]
        if current == names:
            return model
        if kinds.of(model) == kinds.KERAS3:  # a Keras 3 layer takes a new name in place
            for layer, name in zip(_layers(model), names):
                layer.name = name
            return model
        from tf_tickets.backend import keras  # a tf_keras model is renamed in a copy

        renamed = dict(zip(current, names))
        copy = keras.models.clone_model(
            model, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(),
                                                                              "name": renamed[layer.name]}))
        copy.set_weights(model.get_weights())
        return copy

    return build_named


def _first_batch_size(train_ds) -> int:
    """The batch size of `train_ds`'s first batch; a one-line error where it yields no batches."""
    if isinstance(train_ds, (tuple, list, dict)) or hasattr(train_ds, "shape"):
        raise TicketsError(f"train_ds is a {type(train_ds).__name__}, not (x, y) batches (a tf.data.Dataset, a "
                           "keras.utils.PyDataset, a DataLoader, ...): pass batch_size to train on arrays")
    try:
        _, y = next(iter(train_ds))
    except (TypeError, ValueError, StopIteration):
        raise TicketsError("train_ds yields no (x, y) batches") from None
    if len(getattr(y, "shape", ())) == 0:
        raise TicketsError("train_ds yields single examples: batch it (or pass batch_size)")
    return int(y.shape[0])


def _model_name(model, architecture) -> str:
    """How the run identity names the user's model: a tf_keras model by its name and a fingerprint of its
    architecture, as always; a Keras 3 model by its class (Keras numbers unnamed models anew at each build:
    functional, functional_1, ..., so a second call in one program would not find the first one's runs), the
    fingerprint, and the backend it runs on (another backend's runs are not its own)."""
    if kinds.of(model) == kinds.TF_KERAS:
        return f"user:{model.name}:{_fingerprint(architecture)}"
    return f"user:{type(model).__name__}:{_fingerprint(architecture)}:keras3-{kinds.keras3_backend()}"


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
    stack = stacks.of(model)  # tf_keras or Keras 3; a one-line error for anything else
    stack.check_model(model)
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise TicketsError(f"epochs must be a positive integer, got {epochs!r}")
    base.check_method(method)
    if batch_size is None:
        batch_size = _first_batch_size(train_ds)
    data = user.from_datasets(train_ds, test_ds, stack.num_classes(model))
    procedure_like = base.is_procedure(method)
    pruning = PruningConfig(criterion=None if procedure_like else method, sparsity=sparsity, budget=budget,
                            policy=policy, criterion_options=tuple(sorted((method_options or {}).items())))
    train = TrainConfig(training_steps=f"{epochs}ep", batch_size=batch_size, optimizer=optimizer, lr=lr,
                        momentum=momentum, weight_decay=weight_decay, lr_schedule="constant", milestones=(),
                        augment=False, validate_every_epoch=False)
    # The run identity names the user's model and data by fingerprints, so a changed model or data set
    # is never mistaken for the runs of the old one.
    architecture = [(type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in _layers(model)]
    spec = RunSpec(model=_model_name(model, architecture), dataset=data.name, train=train,
                   pruning=pruning, masks=NoMasks() if procedure_like else FromCriterion())
    build = _named_as(build_model, [layer.name for layer in _layers(model)])
    procedure = by_name.make(method, spec, **procedure_settings)
    chosen = list(checks) if checks is not None else procedure.applicable_checks()
    with tempfile.TemporaryDirectory() if run_dir is None else contextlib.nullcontext(run_dir) as root:
        grid = Grid(procedure, sparsity, [int(s) for s in seeds], chosen, root)
        run_stages(grid, [s for wave in grid.waves() for s in wave], data, verbose=verbose, build=build)
        return gather(grid)
