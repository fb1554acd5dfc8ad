"""How many training steps one call of the compiled train function runs (Keras' `steps_per_execution`),
and train and test functions that trace their step once at several steps per call.

Small networks spend most of a step outside the arithmetic (Python, callbacks, dispatch), so several
steps per call make them much faster. Keras then calls the batch hooks of callbacks once per call, so
the number is chosen to keep every callback exact: each of ours says at which optimizer steps it acts
(`steps_that_matter`); a callback with batch hooks that does not say (a user's, say) gets every step.
TF-MOT's `UpdatePruningStep` needs every step unless every mask is held fixed.

"auto" runs several steps per call only for networks without convolutions: measured on a 2-core CPU
(`benchmarks/small_network_epoch.py`), an epoch of LeNet-300-100 takes 0.6-0.7x the time, while one of
ResNet20 took 1.25x on one machine and 0.83-1.05x on another (its convolutions are the time).
"""
import math
from typing import Iterable


# "auto": at most this many steps per call. Each call costs about 3 ms of Python and dispatch besides its
# steps (LeNet-300-100, 2-core CPU): at 128 that is 3% of an epoch of 0.7 ms steps, against 12% at 32, and a
# progress bar still moves about ten times a second.
AUTO_LIMIT = 128
BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def needs_every_step(callback, model) -> bool:
    if hasattr(callback, "steps_that_matter"):
        return callback.steps_that_matter() is None
    if callback.__class__.__name__ == "UpdatePruningStep":
        from tf_tickets.pruning.schedules import FixedMask  # TF-MOT's callback: tf_keras is loaded

        return not all(isinstance(s, FixedMask) for s in schedules(model))
    # A hook that does nothing is marked so (Keras' own, and those of tf_tickets' callbacks: `callbacks.binding`).
    return any(not getattr(getattr(type(callback), hook), "_is_default", False) for hook in BATCH_HOOKS)


def schedules(model):
    for layer in model.layers:
        schedule = getattr(layer, "pruning_schedule", None)
        if schedule is not None:
            yield schedule


def auto_limit(model) -> int:
    """The most steps per call "auto" may choose for `model`: AUTO_LIMIT without convolutions, else 1."""
    from tf_tickets.backend import keras  # a tf_keras model's

    convolutions = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.DepthwiseConv2D)
    layers = [getattr(layer, "layer", layer) for layer in model.layers]  # TF-MOT wrappers hold the layer
    return 1 if any(isinstance(layer, convolutions) for layer in layers) else AUTO_LIMIT


def steps_per_execution(callbacks: Iterable, model, steps_per_epoch: int, initial_step: int, limit: int) -> int:
    """The most steps per call, up to `limit`, at which every callback still sees the steps it acts at.

    Calls end every n steps from each epoch's first step (epochs start at `initial_step` + k
    `steps_per_epoch`), and Keras ends the last call of an epoch at the epoch's end, however many steps
    that call has left. So n need not divide the epoch: it must divide each step's offset into its epoch.
    """
    callbacks = list(callbacks)
    if limit <= 1 or any(needs_every_step(c, model) for c in callbacks):
        return 1
    common = 0  # gcd of the offsets; 0 while every step acted at ends an epoch
    for callback in callbacks:
        for step in getattr(callback, "steps_that_matter", lambda: ())() or ():
            common = math.gcd(common, (int(step) - initial_step) % steps_per_epoch)
    cap = max(1, min(limit, steps_per_epoch))
    if common == 0:
        return cap
    return max(d for d in range(1, min(cap, common) + 1) if common % d == 0)


def trace_each_step_once(model) -> None:
    """Gives a model compiled with several steps per call train and test functions that trace each step
    once. Keras' own (`for _ in tf.range(n): outputs = step(...)`) leaves `outputs` undefined before the
    loop, so AutoGraph traces the whole step a second time to learn its structure, once per run: 0.1 s of
    a pruned LeNet-300-100's run (TF-MOT's wrappers make the step costly to trace), measured. Here the
    loop calls Keras' one-step function, the one `fit` runs at one step per call, traced once."""
    from tf_tickets.backend import tf  # a tf_keras model's (this module loads no framework for Keras 3's runs)

    count = model.steps_per_execution
    if count is None or model.run_eagerly or isinstance(
            model.distribute_strategy, tf.distribute.experimental.ParameterServerStrategy):
        return
    n = int(count.numpy())
    if n == 1:
        return
    count.assign(1)  # Keras makes its one-step functions when one step per call is set
    try:
        train_step, test_step = model.make_train_function(force=True), model.make_test_function(force=True)
    finally:
        count.assign(n)
    model.train_function = _steps(train_step, count)
    model.test_function = _steps(test_step, count)


def _steps(one_step, count):
    """`count` steps (a variable: Keras lowers it for an epoch's last call) of `one_step` in one loop that
    carries the outputs of each step to the next, returning the last's, as Keras' several-step functions
    do. The outputs' structure is read from `one_step`'s own trace, so the step appears once in the graph
    (calling it once more after the loop, as this did before, doubled the graph Grappler optimises and the
    executor instantiates: 0.06 s more in a pruned LeNet-300-100's first call, measured)."""
    from tf_tickets.backend import tf

    @tf.function(reduce_retracing=True, autograph=False)
    def steps(iterator):
        structure = one_step.get_concrete_function(iterator).structured_outputs
        flat = tf.nest.flatten(structure, expand_composites=True)  # a ragged output's parts
        tensors = [i for i, t in enumerate(flat) if tf.is_tensor(t)]

        def step(i, *_):
            outputs = tf.nest.flatten(one_step(iterator), expand_composites=True)
            return [i + 1] + [outputs[k] for k in tensors]

        before = [_zeros_like_traced(flat[k]) for k in tensors]  # replaced by the first step (count >= 1)
        last = tf.while_loop(lambda i, *_: i < count, step, [tf.constant(0, count.dtype)] + before,
                             shape_invariants=[tf.TensorShape([])] + [tf.TensorShape(None)] * len(before))[1:]
        for k, t in zip(tensors, last):
            flat[k] = t
        return tf.nest.pack_sequence_as(structure, flat, expand_composites=True)

    return steps


def _zeros_like_traced(tensor):
    """Zeros of a traced output's dtype, and of its shape where known (0 for an unknown dimension)."""
    from tf_tickets.backend import tf

    return tf.zeros([] if tensor.shape.rank is None else [d or 0 for d in tensor.shape], tensor.dtype)
