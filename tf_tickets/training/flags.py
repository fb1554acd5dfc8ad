"""Flags of a training run, defined next to the code that reads them (`train_config`, `run_dir_path`):
TrainConfig's from its fields, and what to train on, where and how fast.

Importing this module defines the flags; library code never does.
"""
from absl import flags

from tf_tickets import hparams
from tf_tickets.training.config import TrainConfig

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
TRAIN = hparams.define_flags(TrainConfig, __name__)

# Where and how fast.
MIXED_PRECISION = flags.DEFINE_boolean("mixed_precision", False, "Mixed precision: float16 on GPU, "
                                       "bfloat16 on CPU.")
DISTRIBUTION = flags.DEFINE_enum("distribution", "default", ["default", "one_device", "mirrored", "multi_worker"],
                                 "tf.distribute strategy; multi_worker reads TF_CONFIG.")
LOGICAL_CPUS = flags.DEFINE_integer("logical_cpus", 0, "Split the CPU into this many logical devices "
                                    "(to run data-parallel training without GPUs).", lower_bound=0)


def train_config(changes=None) -> TrainConfig:
    """The flags (with `changes`, flag name -> value, in place of theirs) as a checked TrainConfig (raises
    TicketsError on bad values)."""
    return TRAIN.config(changes)


def run_dir_path() -> str:
    return RUN_DIR.value or f"runs/{MODEL.value}-{DATASET.value}-s{TRAIN['seed'].value}"
