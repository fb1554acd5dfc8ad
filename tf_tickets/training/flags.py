"""Flags of a training run, defined next to the code that reads them (`train_config`, `run_dir_path`).

Importing this module defines the flags; library code never does.
"""
from absl import flags

from tf_tickets.training.config import TrainConfig
from tf_tickets.training.execution import AUTO_LIMIT

_D = TrainConfig()

# What to train on.
MODEL = flags.DEFINE_string("model", "conv_2", "Model name, e.g. cifar_resnet_32_32, cifar_vgg_19_bn, "
                            "mnist_lenet_300_100, conv_2.")
DATASET = flags.DEFINE_string("dataset", "embedded", "Dataset name: embedded (a real Fashion-MNIST subset "
                              "shipped with the package), fashion_mnist, mnist, cifar10, cifar100, tiny_imagenet.")
DATA_DIR = flags.DEFINE_string("data_dir", None, "Directory holding the dataset's files (IDX, the CIFAR python "
                               "archive, tiny-imagenet-200/ or an .npz); default: TFDS.")
TRAIN_FRACTION = flags.DEFINE_float("train_fraction", 1.0, "Train on this fixed, seeded fraction of the "
                                    "training set (for quick runs).")
RUN_DIR = flags.DEFINE_string("run_dir", None, "Directory the run owns; default runs/<model>-<dataset>-s<seed>.")

# How to train.
TRAINING_STEPS = flags.DEFINE_string("training_steps", str(_D.training_steps), "Duration: <N>ep or <N>it.")
BATCH_SIZE = flags.DEFINE_integer("batch_size", _D.batch_size, "Global batch size.")
OPTIMIZER = flags.DEFINE_enum("optimizer", _D.optimizer, ["sgd", "adam"], "Optimizer.")
LR = flags.DEFINE_float("lr", _D.lr, "Peak learning rate.")
MOMENTUM = flags.DEFINE_float("momentum", _D.momentum, "SGD momentum.")
WEIGHT_DECAY = flags.DEFINE_float("weight_decay", _D.weight_decay, "Coupled L2 weight decay (added to the "
                                  "gradient of every parameter, as the reference does).")
LR_SCHEDULE = flags.DEFINE_string("lr_schedule", _D.lr_schedule, "step, cosine or constant.")
MILESTONES = flags.DEFINE_list("milestones", [str(m) for m in _D.milestones],
                               "Step schedule milestones, as durations.")
GAMMA = flags.DEFINE_float("gamma", _D.gamma, "Step schedule factor at each milestone.")
WARMUP = flags.DEFINE_string("warmup", str(_D.warmup), "Linear warm-up duration.")
SEED = flags.DEFINE_integer("seed", _D.seed, "Seed of the initial weights and the data order.")
DATA_SEED = flags.DEFINE_integer("data_seed", None, "Seed of the data order and augmentation alone "
                                 "(default: --seed): runs that differ only here share their initial weights.")
AUGMENT = flags.DEFINE_boolean("augment", _D.augment, "Use the dataset's standard augmentation.")
EVAL_BATCH_SIZE = flags.DEFINE_integer("eval_batch_size", _D.eval_batch_size, "Batch size for evaluation.")
VALIDATE_EVERY_EPOCH = flags.DEFINE_boolean("validate_every_epoch", _D.validate_every_epoch,
                                            "Evaluate on the test split after every epoch.")

# Where and how fast.
JIT_COMPILE = flags.DEFINE_boolean("jit_compile", _D.jit_compile, "Compile the train step with XLA "
                                   "(faster on GPU, slower on CPU).")
STEPS_PER_EXECUTION = flags.DEFINE_integer(
    "steps_per_execution", _D.steps_per_execution, "Training steps per call of the compiled train function "
    f"(0: for networks without convolutions as many as keep every callback exact, up to {AUTO_LIMIT}, else 1; 1: "
    "one, as plain Keras). Same results; less overhead for small dense networks.",
    lower_bound=0)
MIXED_PRECISION = flags.DEFINE_boolean("mixed_precision", False, "Mixed precision: float16 on GPU, "
                                       "bfloat16 on CPU.")
DISTRIBUTION = flags.DEFINE_enum("distribution", "default", ["default", "one_device", "mirrored", "multi_worker"],
                                 "tf.distribute strategy; multi_worker reads TF_CONFIG.")
LOGICAL_CPUS = flags.DEFINE_integer("logical_cpus", 0, "Split the CPU into this many logical devices "
                                    "(to run data-parallel training without GPUs).", lower_bound=0)


def train_config() -> TrainConfig:
    """The flags as a checked TrainConfig (raises TicketsError on bad values)."""
    return TrainConfig(
        training_steps=TRAINING_STEPS.value, batch_size=BATCH_SIZE.value, optimizer=OPTIMIZER.value,
        lr=LR.value, momentum=MOMENTUM.value, weight_decay=WEIGHT_DECAY.value, lr_schedule=LR_SCHEDULE.value,
        milestones=tuple(MILESTONES.value), gamma=GAMMA.value, warmup=WARMUP.value, seed=SEED.value,
        augment=AUGMENT.value, data_seed=DATA_SEED.value, jit_compile=JIT_COMPILE.value,
        steps_per_execution=STEPS_PER_EXECUTION.value, eval_batch_size=EVAL_BATCH_SIZE.value,
        validate_every_epoch=VALIDATE_EVERY_EPOCH.value)


def run_dir_path() -> str:
    return RUN_DIR.value or f"runs/{MODEL.value}-{DATASET.value}-s{SEED.value}"

