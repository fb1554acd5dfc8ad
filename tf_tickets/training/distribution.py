"""Picks a `tf.distribute` strategy by name, and the mixed-precision policy for the device at hand."""
import warnings
from typing import Optional

from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker")
# Linux cpuinfo flags of bfloat16 arithmetic: x86's AVX512-BF16 and AMX, Arm's FEAT_BF16.
BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})


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
    """Sets the global Keras policy: float16 on GPU, bfloat16 on CPU (the faster one there). It pays only on
    a CPU with bfloat16 instructions (a ResNet20 epoch at 1.25x float32's speed with AVX512-BF16,
    `benchmarks/small_network_epoch.py --mixed_precision`); one without emulates them, and is warned about."""
    if not mixed:
        policy = "float32"
    elif tf.config.list_physical_devices("GPU"):
        policy = "mixed_float16"
    else:
        policy = "mixed_bfloat16"
        if cpu_has_bfloat16() is False:
            warnings.warn("mixed precision: this CPU has no bfloat16 instructions (AVX512-BF16, AMX, Arm BF16), "
                          "so bfloat16 is emulated and likely slower than float32", RuntimeWarning, stacklevel=2)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def cpu_has_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> Optional[bool]:
    """Whether the CPU has bfloat16 arithmetic, from Linux's cpuinfo flags (None: it cannot tell)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    flags = set()
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):  # x86, Arm
            flags.update(value.split())
    return bool(flags & BFLOAT16_FLAGS) if flags else None
