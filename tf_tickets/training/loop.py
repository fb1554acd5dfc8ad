"""Trains a model with `fit` and our callbacks in a run directory, resuming where a killed run stopped."""
import dataclasses
import sys
import time
from typing import Callable, Iterable, Optional, Tuple, TypeVar

from absl import logging

from tf_tickets.backend import keras, tf, tfmot
from tf_tickets.callbacks import MetricsLog, ResumableCheckpoint, StopAtStep
from tf_tickets.callbacks.binding import bind
from tf_tickets.data import ImageData, pipeline
from tf_tickets.training import execution
from tf_tickets.training.compiled import CompiledModels
from tf_tickets.training.config import TrainConfig
from tf_tickets.training.distribution import is_chief, worker_id
from tf_tickets.training.run_dir import RunDir


def compile_model(model, config: TrainConfig, steps_per_epoch: int, steps_per_execution: int = 1):
    model.compile(optimizer=config.make_optimizer(steps_per_epoch),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
                  jit_compile=config.jit_compile, steps_per_execution=steps_per_execution)
    return model


def scoring_data(data: ImageData, config: TrainConfig) -> tf.data.Dataset:
    """What a data-dependent criterion sees: the training pipeline (augmented, shuffled by the seed)."""
    return pipeline.train_dataset(data, config.batch_size, config.order_seed, augment=config.augment)


def pruning_callbacks(uses_pruning_step: bool):
    """What TF-MOT's wrappers need while the model trains: its `UpdatePruningStep`, unless no wrapper is TF-MOT's."""
    return [tfmot.sparsity.keras.UpdatePruningStep()] if uses_pruning_step else []


T = TypeVar("T")


def build_in_scope(build: Callable[[], T], strategy: Optional[tf.distribute.Strategy] = None) -> T:
    """Runs `build` inside the strategy's scope, so that its variables are the strategy's."""
    with (strategy or tf.distribute.get_strategy()).scope():
        return build()


def train(model: keras.Model, data: ImageData, config: TrainConfig, run_dir: RunDir,
          strategy: Optional[tf.distribute.Strategy] = None, callbacks: Iterable[keras.callbacks.Callback] = (),
          verbose: Optional[int] = None, initial_step: int = 0,
          compiled: Optional[CompiledModels] = None) -> Tuple[keras.Model, dict]:
    """Compiles (inside the strategy's scope), trains and evaluates; returns the model and its results.

    The caller writes the results (`run_dir.finish`) once it has added what it knows. A run that
    starts at `initial_step` (late rewinding) continues the learning-rate schedule from that step, and
    the data order from the start of that step's epoch.

    `model` was built inside the strategy's scope (`build_in_scope`); it may carry masks. `compiled`: the
    compiled models a grid's runs share (`training/compiled.py`); the model handed back may then be a kept
    one, holding `model`'s weights, which a later run with the same `compiled` overwrites.
    """
    strategy = strategy or tf.distribute.get_strategy()
    chief = is_chief(strategy)
    steps_per_epoch = pipeline.steps_per_epoch(len(data.x_train), config.batch_size)
    total_steps = config.total_steps(steps_per_epoch)
    epochs = config.epochs(steps_per_epoch)
    started = time.time()

    callbacks = [bind(c, keras) for c in callbacks]  # tf_tickets' own are written for any Keras
    stop = bind(StopAtStep(total_steps), keras)
    limit = config.steps_per_execution or execution.auto_limit(model)
    per_call = execution.steps_per_execution(callbacks + [stop], model, steps_per_epoch, initial_step, limit)
    with strategy.scope():
        key = None
        if compiled is not None and compiled.sharable(model, strategy):  # seeds only change the weights
            key = compiled.key(model, (dataclasses.replace(config, seed=0, data_seed=None), steps_per_epoch, per_call))
        kept = compiled.take(key, model) if key else None
        if kept is not None:
            model = kept
        else:
            model = compile_model(model, config, steps_per_epoch, per_call)
            execution.trace_each_step_once(model)
            getattr(model.optimizer, "inner_optimizer", model.optimizer).build(model.trainable_variables)
            if key:
                compiled.keep(key, model)
        optimizer = model.optimizer
        checkpoint = ResumableCheckpoint(run_dir.checkpoints, model, optimizer, chief, worker_id(strategy))
        start_epoch = checkpoint.restore()
        if start_epoch:
            logging.info("resuming %s at epoch %d of %d", run_dir.path, start_epoch + 1, epochs)
        elif initial_step:
            optimizer.iterations.assign(initial_step)
            start_epoch = initial_step // steps_per_epoch

    if start_epoch < epochs:
        train_ds = pipeline.train_dataset(data, config.batch_size, config.order_seed, start_epoch, epochs,
                                          augment=config.augment)
        validation = pipeline.eval_dataset(data, config.eval_batch_size) if config.validate_every_epoch else None
        schedule = config.make_schedule(steps_per_epoch)
        own = [stop, bind(MetricsLog(run_dir.path, schedule, enabled=chief), keras), checkpoint]
        if chief:
            own.append(keras.callbacks.TensorBoard(run_dir.tensorboard, profile_batch=0))
        model.fit(train_ds, epochs=epochs, initial_epoch=start_epoch, steps_per_epoch=steps_per_epoch,
                  validation_data=validation,
                  callbacks=callbacks + own,
                  verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2))

    test_loss, test_accuracy = model.evaluate(pipeline.eval_dataset(data, config.eval_batch_size), verbose=0)
    results = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "steps": int(optimizer.iterations.numpy()),
        "epochs": epochs,
        "train_examples": int(len(data.x_train)),
        "seconds_this_session": round(time.time() - started, 1),
        "steps_per_execution": per_call,
    }
    return model, results
