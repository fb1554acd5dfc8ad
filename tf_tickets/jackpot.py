"""Lottery jackpots (Zhang et al.): a mask searched on frozen pre-trained weights, no weight trained.

    ticket, history = tf_tickets.jackpot.search(pretrained, train_ds, sparsity=0.9, epochs=5)
    ticket.compile(...); ticket.evaluate(test_ds)        # the jackpot's own accuracy

Each prunable weight gets a trainable score (a tf_keras model: `tf_tickets.pruning.scores.ScoreMask`; a
Keras 3 model, any backend: `tf_tickets.pruning.keras3.scores`), started from
magnitude pruning (1.0 kept, 0.99 pruned; per-layer counts from one global magnitude threshold, the
classifier kept dense by default, or any budget). The scores train through a straight-through estimator
with the reference's settings (`SearchConfig`: SGD 0.1, momentum 0.9, coupled weight decay 5e-4 on the
scores, cosine over the search, batch 256), BatchNorm in training mode as a PyTorch model in train mode
(batch statistics, moving statistics updated, scale and offset frozen); after each step, short
restriction flips a fraction of each layer's mask candidates (`rate`: "constant" = 1, what the authors'
code runs), so per-layer counts stay fixed. The found masks are handed to the model's ordinary carriers (TF-MOT
wrappers; Keras 3's masked layers) on a copy of the model, its pre-trained weights untouched (and its
BatchNorm statistics the search's): retrain it with `fit` (+ `UpdatePruningStep` for tf_keras) to tune them.
"""
import dataclasses
import importlib
from typing import Optional

import numpy as np

from tf_tickets import kinds
from tf_tickets.callbacks.binding import bind
from tf_tickets.callbacks.restriction import RATES, ShortRestriction
from tf_tickets.errors import TicketsError
from tf_tickets.hparams import Hparams, setting
from tf_tickets.pruning import Pruner, current_masks, prune, stacks
from tf_tickets.pruning.carriers import ScoreCarrier, carrier_of
from tf_tickets.training.config import TrainConfig

KEPT, PRUNED = 1.0, 0.99  # the initial scores of magnitude-kept and pruned weights, as in the reference
SEARCH_SCHEDULES = ("cosine", "constant")


@dataclasses.dataclass(frozen=True)
class SearchConfig(Hparams):
    """How the scores are searched. The defaults are the reference's (the authors' published code, CIFAR):
    SGD at 0.1 with momentum 0.9 and coupled weight decay 5e-4 on the scores, a cosine learning rate over
    the search, batch 256 (one partial batch where the data holds fewer), every candidate flipped after each
    step (rate 1: "constant"; "cosine" is a schedule the paper describes and the code defines but never
    uses), and BatchNorm in training mode. Searches never inherit a training run's optimiser settings.
    Its flags (`--search_lr`, ...) are the jackpot procedure's (`tf_tickets.procedures.flags`)."""

    lr: float = setting(0.1, "jackpot: the search's peak learning rate (SGD on the scores).", flag="search_lr")
    momentum: float = setting(0.9, "jackpot: the search's SGD momentum.", flag="search_momentum")
    weight_decay: float = setting(5e-4, "jackpot: coupled weight decay on the scores.", flag="search_weight_decay")
    batch_size: int = setting(256, "jackpot: the search's batch size.", flag="search_batch_size")
    lr_schedule: str = setting("cosine", "jackpot: the search's learning-rate schedule.", flag="search_lr_schedule",
                               choices=SEARCH_SCHEDULES)
    rate: str = setting("constant", "jackpot: short restriction's rate: constant (1: every candidate flips after each "
                                    "step, as the authors' code runs it) or cosine (0.5(1+cos(pi epoch/epochs)): "
                                    "described in the paper, defined in the authors' code but never used).",
                        flag="jackpot_rate", choices=RATES)
    batch_statistics: bool = setting(  # False: BatchNorm on the pre-trained moving statistics, frozen like every weight
        True, "jackpot: BatchNorm normalises with batch statistics and updates its moving ones while the scores are "
              "searched, its scale and offset frozen (the reference's train mode); --nojackpot_batch_statistics: the "
              "pre-trained moving statistics, frozen like every weight.", flag="jackpot_batch_statistics")

    def __post_init__(self):
        super().__post_init__()
        if self.lr_schedule not in SEARCH_SCHEDULES:
            raise TicketsError(f"the search's learning-rate schedule must be one of {', '.join(SEARCH_SCHEDULES)}, "
                               f"got {self.lr_schedule!r}")
        if self.rate not in RATES:
            raise TicketsError(f"unknown restriction rate {self.rate!r}; known: {', '.join(RATES)}")
        # The optimiser settings are checked where they are used: `train_config` builds a checked TrainConfig.
        self.train_config(TrainConfig(), "1it")

    def train_config(self, base: TrainConfig, steps) -> TrainConfig:
        """The run that searches for `steps`: `base`'s seed, data order, augmentation and evaluation, this
        search's optimiser, batch and schedule."""
        return dataclasses.replace(base, training_steps=steps, optimizer="sgd", lr=self.lr, momentum=self.momentum,
                                   weight_decay=self.weight_decay, batch_size=self.batch_size,
                                   lr_schedule=self.lr_schedule, milestones=(), warmup="0it")


def _scores(model):
    """The module that carries a search's scores in `model`'s Keras: tf_keras' `ScoreMask` wrappers
    (`tf_tickets.pruning.scores`) or Keras 3's scored layers (`tf_tickets.pruning.keras3.scores`)."""
    stacks.of(model).check_model(model)
    return importlib.import_module(_SCORES[kinds.of(model)])


_SCORES = {kinds.TF_KERAS: "tf_tickets.pruning.scores", kinds.KERAS3: "tf_tickets.pruning.keras3.scores"}


def magnitude_start(model, sparsity: float, budget: str = "global", budget_options: Optional[dict] = None,
                    policy="conv_dense", keep_classifier_dense: bool = True):
    """The masks the search starts from: magnitude pruning of the pre-trained weights."""
    options = dict(budget_options or {})
    if keep_classifier_dense and budget == "global":
        options.setdefault("keep_classifier_dense", True)
    return Pruner("magnitude", sparsity, budget, budget_options=options).masks(stacks.of(model).wrap(model, policy))


def start_search(model, sparsity: float = 0.9, budget: str = "global", budget_options: Optional[dict] = None,
                 policy="conv_dense", keep_classifier_dense: bool = True, batch_statistics: bool = True):
    """The search model before its first step (a copy of `model`, a tf_keras or Keras 3 one): scores and masks
    set from magnitude pruning. With `batch_statistics` (the reference's train mode), BatchNorm uses and
    updates batch statistics while searching, its scale and offset frozen; with False it runs on the
    pre-trained moving statistics."""
    scores = _scores(model)
    start = magnitude_start(model, sparsity, budget, budget_options, policy, keep_classifier_dense)
    search_model = scores.wrap_scores(model, allow=lambda layer: layer.name in start, batch_statistics=batch_statistics)
    for layer in stacks.of(search_model).layers(search_model):
        carrier = carrier_of(layer)
        if isinstance(carrier, ScoreCarrier):
            mask = start[carrier.inner(layer).name]
            carrier.masked_weights(layer)[0][1].assign(mask)
            carrier.scores(layer).assign(np.where(mask > 0, KEPT, PRUNED).astype(np.float32))
    return search_model


def search(model, train_ds, sparsity: float = 0.9, epochs: int = 1, lr: float = SearchConfig.lr,
           momentum: float = SearchConfig.momentum, weight_decay: float = SearchConfig.weight_decay,
           rate: str = SearchConfig.rate, budget: str = "global", budget_options: Optional[dict] = None,
           policy="conv_dense", keep_classifier_dense: bool = True,
           batch_statistics: bool = SearchConfig.batch_statistics, loss=None, steps_per_epoch: Optional[int] = None,
           verbose="auto"):
    """Searches a jackpot in `model` (a pre-trained tf_keras model, or a Keras 3 one on any backend; left
    untouched) with `train_ds` (`(x, y)` batches: a `tf.data.Dataset`, or for Keras 3 a `keras.utils.PyDataset`
    or what its backend's `fit` takes; the reference's batch is 256); returns (a copy carrying the found masks
    (TF-MOT's wrappers for tf_keras, Keras 3's masked layers), the Keras history, whose `flips` entry counts
    each layer's mask changes). The optimiser settings default to the reference's (`SearchConfig`). With
    `batch_statistics` (the default), BatchNorm's moving statistics are updated by the search and carried into
    the returned model."""
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise TicketsError(f"epochs must be a positive integer, got {epochs!r}")
    train = SearchConfig(lr=lr, momentum=momentum, weight_decay=weight_decay, rate=rate).train_config(
        TrainConfig(), f"{epochs}ep")  # SGD, coupled weight decay, cosine over the search
    if steps_per_epoch is None:
        steps_per_epoch = _length(train_ds)
    scores = _scores(model)
    search_model = start_search(model, sparsity, budget, budget_options, policy, keep_classifier_dense,
                                batch_statistics)
    keras = kinds.keras_module(model)
    search_model.compile(train.make_optimizer(steps_per_epoch, keras),
                         loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    restriction = bind(ShortRestriction(rate, epochs), keras)
    # In the order the data gives (Keras 3 would shuffle a PyDataset's batches; a tf.data pipeline is never shuffled).
    history = search_model.fit(train_ds, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=[restriction],
                               verbose=verbose, shuffle=False)
    history.history["flips"] = dict(restriction.flips)
    if batch_statistics:
        model = scores.with_statistics_of(model, search_model)
    return prune(model, masks=current_masks(search_model), policy=policy), history


def _length(train_ds) -> int:
    """Batches in one pass of `train_ds`; a one-line error where that is unknown or the data are no batches."""
    if isinstance(train_ds, (tuple, list, dict)) or hasattr(train_ds, "shape"):
        raise TicketsError(f"train_ds must yield (x, y) batches (a tf.data.Dataset, a keras.utils.PyDataset, a "
                           f"DataLoader), got a {type(train_ds).__name__}")
    try:
        length = len(train_ds)
    except TypeError:  # a tf.data.Dataset of unknown or infinite length, a generator
        length = 0
    if length < 1:
        raise TicketsError("the dataset's length is unknown: pass steps_per_epoch")
    return int(length)
