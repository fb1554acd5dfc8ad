"""Trains a Keras 3 model with `fit` and tf_tickets' callbacks in a run directory, resuming where a killed run
stopped: what `tf_tickets.training.loop` does for tf_keras, on any backend.

The same run: the optimizer (coupled L2) and learning-rate schedule from the `TrainConfig`, the data as
batches of (seed, epoch) (NumPy's order: `tf_tickets.data.batches`), a checkpoint at each epoch end
(`checkpoint`), the metrics log, the step limit, the results. What differs: no tf.distribute strategy (Keras
3 distributes with `keras.distribution`), one step per call of the train function (Keras 3's last call of an
epoch would run past the epoch's end), no TensorBoard logs, no compiled model shared between runs, and JAX
always compiles its train step (`--jit_compile` decides on TensorFlow and PyTorch).
"""
import sys
import time
from typing import Iterable, Optional, Tuple

import keras
from absl import logging

from tf_tickets.callbacks import MetricsLog, StopAtStep
from tf_tickets.callbacks.binding import bind
from tf_tickets.data import ImageData
from tf_tickets.data.batches import EvalBatches, TrainBatches, steps_per_epoch
from tf_tickets.errors import TicketsError
from tf_tickets.training.config import TrainConfig
from tf_tickets.training.keras3.checkpoint import Checkpoint
from tf_tickets.training.keras3.data import Batches
from tf_tickets.training.run_dir import RunDir


def scoring_data(data: ImageData, config: TrainConfig):
    """What a data-dependent criterion sees: the training batches (shuffled by the seed), endless."""
    return TrainBatches(data, config.batch_size, config.order_seed, augment=config.augment)


def pruning_callbacks(uses_pruning_step: bool):
    """Callbacks a masked model needs while it trains: none (its layers mask their kernels themselves)."""
    return []


def compile_model(model, config: TrainConfig, per_epoch: int):
    jit = True if keras.backend.backend() == "jax" else config.jit_compile  # JAX runs eagerly otherwise: slow
    model.compile(optimizer=config.make_optimizer(per_epoch, keras),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")], jit_compile=jit)
    model.optimizer.build(model.trainable_variables)  # its variables exist before a checkpoint is restored
    return model


def train(model, data: ImageData, config: TrainConfig, run_dir: RunDir, strategy=None, callbacks: Iterable = (),
          verbose: Optional[int] = None, initial_step: int = 0, compiled=None) -> Tuple[object, dict]:
    """Compiles, trains and evaluates; returns the model and its results (as `tf_tickets.training.loop.train`;
    `strategy` must be None: Keras 3 distributes with `keras.distribution`; `compiled` is not used)."""
    if strategy is not None:
        raise TicketsError("a Keras 3 model trains without a tf.distribute strategy (--distribution=default); "
                           "Keras 3 distributes with keras.distribution")
    per_epoch = steps_per_epoch(len(data.x_train), config.batch_size)
    total_steps = config.total_steps(per_epoch)
    epochs = config.epochs(per_epoch)
    started = time.time()

    callbacks = [bind(c, keras) for c in callbacks]
    compile_model(model, config, per_epoch)
    checkpoint = Checkpoint(run_dir.checkpoints)
    start_epoch = checkpoint.restore(model)
    if start_epoch:
        logging.info("resuming %s at epoch %d of %d", run_dir.path, start_epoch + 1, epochs)
    elif initial_step:
        model.optimizer.iterations.assign(initial_step)
        start_epoch = initial_step // per_epoch

    if start_epoch < epochs:
        train_batches = TrainBatches(data, config.batch_size, config.order_seed, start_epoch, epochs, config.augment)
        validation = Batches(EvalBatches(data, config.eval_batch_size)) if config.validate_every_epoch else None
        own = [bind(StopAtStep(total_steps), keras),
               bind(MetricsLog(run_dir.path, config.make_schedule(per_epoch, keras)), keras), checkpoint]
        # In order (Keras shuffles a PyDataset's batches unless told not to): batch i is the run's own.
        model.fit(Batches(train_batches), epochs=epochs, initial_epoch=start_epoch, steps_per_epoch=per_epoch,
                  shuffle=False, validation_data=validation, callbacks=callbacks + own,
                  verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2))

    scores = model.evaluate(Batches(EvalBatches(data, config.eval_batch_size)), verbose=0, return_dict=True)
    results = {
        "test_accuracy": float(scores["accuracy"]),
        "test_loss": float(scores["loss"]),
        "steps": int(model.optimizer.iterations.numpy()),
        "epochs": epochs,
        "train_examples": int(len(data.x_train)),
        "seconds_this_session": round(time.time() - started, 1),
        "steps_per_execution": 1,
    }
    return model, results
