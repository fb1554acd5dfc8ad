"""Picks a `tf.distribute` strategy by name, and the mixed-precision policy for the device at hand."""
from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker")


def split_cpu(num_devices: int) -> None:
    """Splits the CPU into logical devices (to run data-parallel code on a machine without GPUs).

    Must run before TensorFlow initialises its devices.
    """
    if num_devices <= 1:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)])
    except RuntimeError as error:  # devices already initialised
        raise TicketsError(f"cannot split the CPU into {num_devices} devices: {error}") from None


def start_runtime() -> None:
    """Initialises TensorFlow's devices now (after `split_cpu`), rather than at the first op."""
    tf.config.list_logical_devices()


def make_strategy(name: str) -> tf.distribute.Strategy:
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG
    raise TicketsError(f"unknown distribution {name!r}; known: {', '.join(STRATEGIES)}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True on the one worker that writes the run's files."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0
                                             and "chief" not in resolver.cluster_spec().as_dict())


def worker_id(strategy: tf.distribute.Strategy) -> str:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return "local"
    return f"{resolver.task_type}_{resolver.task_id}"


def set_precision(mixed: bool) -> str:
    """Sets the global Keras policy: float16 on GPU, bfloat16 on CPU (the faster one there)."""
    if not mixed:
        policy = "float32"
    elif tf.config.list_physical_devices("GPU"):
        policy = "mixed_float16"
    else:
        policy = "mixed_bfloat16"
    keras.mixed_precision.set_global_policy(policy)
    return policy
