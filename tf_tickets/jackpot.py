"""Lottery jackpots (Zhang et al.): a mask searched on frozen pre-trained weights, no weight trained.

    ticket, history = tf_tickets.jackpot.search(pretrained, train_ds, sparsity=0.9, epochs=5)
    ticket.compile(...); ticket.evaluate(test_ds)        # the jackpot's own accuracy

Each prunable weight gets a trainable score (`tf_tickets.pruning.scores.ScoreMask`), started from
magnitude pruning (1.0 kept, 0.99 pruned; per-layer counts from one global magnitude threshold, the
classifier kept dense by default, or any budget). SGD with momentum, coupled weight decay and a cosine
learning rate trains the scores through a straight-through estimator; after each step, short
restriction flips a fraction of each layer's mask (`rate`: "constant" = 1, or the paper's "cosine"), so
per-layer counts stay fixed. The found masks are handed to ordinary TF-MOT wrappers on a copy of the
model, with the pre-trained weights untouched: retrain it with `fit` + `UpdatePruningStep` to tune them.
"""
from typing import Optional

import numpy as np

from tf_tickets.backend import keras, tf
from tf_tickets.callbacks.restriction import ShortRestriction
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import Pruner, current_masks, prune, wrap
from tf_tickets.pruning.scores import ScoreMask, wrap_scores
from tf_tickets.pruning.wrapping import check_model
from tf_tickets.training.optimizers import make_optimizer

KEPT, PRUNED = 1.0, 0.99  # the initial scores of magnitude-kept and pruned weights, as in the reference


def magnitude_start(model, sparsity: float, budget: str = "global", budget_options: Optional[dict] = None,
                    policy="conv_dense", keep_classifier_dense: bool = True):
    """The masks the search starts from: magnitude pruning of the pre-trained weights."""
    options = dict(budget_options or {})
    if keep_classifier_dense and budget == "global":
        options.setdefault("keep_classifier_dense", True)
    return Pruner("magnitude", sparsity, budget, budget_options=options).masks(wrap(model, policy))


def start_search(model, sparsity: float = 0.9, budget: str = "global", budget_options: Optional[dict] = None,
                 policy="conv_dense", keep_classifier_dense: bool = True, batch_statistics: bool = False) -> keras.Model:
    """The search model before its first step: scores and masks set from magnitude pruning. With
    `batch_statistics`, BatchNorm uses and updates batch statistics while searching (its scale and
    offset stay frozen); by default it runs on the pre-trained moving statistics."""
    check_model(model)
    start = magnitude_start(model, sparsity, budget, budget_options, policy, keep_classifier_dense)
    search_model = wrap_scores(model, allow=lambda layer: layer.name in start, batch_statistics=batch_statistics)
    for layer in search_model.layers:
        if isinstance(layer, ScoreMask):
            mask = start[layer.layer.name]
            layer.mask.assign(mask)
            layer.scores.assign(np.where(mask > 0, KEPT, PRUNED).astype(np.float32))
    return search_model


def search(model, train_ds, sparsity: float = 0.9, epochs: int = 1, lr: float = 0.1, momentum: float = 0.9,
           weight_decay: float = 5e-4, rate: str = "constant", budget: str = "global",
           budget_options: Optional[dict] = None, policy="conv_dense", keep_classifier_dense: bool = True,
           batch_statistics: bool = False, loss=None, steps_per_epoch: Optional[int] = None, verbose="auto"):
    """Searches a jackpot in `model` (a pre-trained tf_keras model, left untouched) with `train_ds`
    (`(x, y)` batches); returns (a TF-MOT-wrapped copy carrying the found masks, the Keras history, whose
    `flips` entry counts each layer's mask changes). With `batch_statistics`, BatchNorm's moving statistics
    are updated by the search and carried into the returned model."""
    if not isinstance(epochs, int) or epochs < 1:
        raise TicketsError(f"epochs must be a positive integer, got {epochs!r}")
    search_model = start_search(model, sparsity, budget, budget_options, policy, keep_classifier_dense,
                                batch_statistics)
    if steps_per_epoch is None:
        steps_per_epoch = int(tf.data.experimental.cardinality(train_ds).numpy())
        if steps_per_epoch < 1:
            raise TicketsError("the dataset's length is unknown: pass steps_per_epoch")
    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=epochs * steps_per_epoch)
    search_model.compile(make_optimizer("sgd", schedule, momentum, weight_decay),
                         loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    restriction = ShortRestriction(rate, epochs)
    history = search_model.fit(train_ds, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=[restriction],
                               verbose=verbose)
    history.history["flips"] = dict(restriction.flips)
    if batch_statistics:
        model = with_statistics_of(model, search_model)
    return prune(model, masks=current_masks(search_model), policy=policy), history


def with_statistics_of(model, search_model) -> keras.Model:
    """A copy of `model` whose BatchNorm moving statistics are the search model's (nothing else differs)."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in copy.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            searched = search_model.get_layer(layer.name)
            layer.moving_mean.assign(searched.moving_mean)
            layer.moving_variance.assign(searched.moving_variance)
    return copy
