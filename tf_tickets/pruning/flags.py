"""Pruning flags of the command line, defined next to the functions that read them.

`--criterion` names what scores the weights. `--method`, the older spelling, still works: in `train`
and `compare` it is a criterion (or `dense`), in `sanity` a procedure or a criterion pruned at
initialisation.
"""
from absl import flags

from tf_tickets.durations import Duration
from tf_tickets.pruning.config import DENSE, PruningConfig, parse_options

METHOD = flags.DEFINE_string("method", DENSE, "dense (no pruning) or a criterion (as --criterion); in "
                             "tf_tickets.sanity also a procedure (as --procedure).")
CRITERION = flags.DEFINE_string("criterion", None, "What scores the weights: random, magnitude, snip, grasp, synflow, "
                                "obd, magnitude_gradient (default: --method).")
SPARSITY = flags.DEFINE_float("sparsity", 0.9, "Fraction of prunable weights removed, in [0, 1).")
BUDGET = flags.DEFINE_string("budget", "global", "Layer budget: global, layerwise, smart_ratio, erk, custom.")
POLICY = flags.DEFINE_string("policy", "conv_dense", "Which layers carry masks: conv_dense, skip_first, "
                             "skip_classifier, skip_first_and_classifier, xnnpack_1x1.")
MASK_FILE = flags.DEFINE_string("mask_file", None, "Masks to use (.npz keyed by layer name), instead of a criterion.")
PRUNE_AT = flags.DEFINE_string("prune_at", "init", "When to prune: init, or after a duration of dense training "
                               "(e.g. 500it, 2ep).")
METHOD_OPTIONS = flags.DEFINE_list("method_options", [], "Criterion options, key=value (e.g. temperature=200).")
BUDGET_OPTIONS = flags.DEFINE_list("budget_options", [], "Budget options, key=value (e.g. linear_keep_ratio=0.3).")
BLOCK = flags.DEFINE_integer("block", 0, "Block-structured masks: Dense and 1x1-conv kernels keep whole blocks of "
                             "this many consecutive inputs (4: what float TFLite runs sparse; 16 for int8); 0: "
                             "unstructured.")
SCORE_BATCHES = flags.DEFINE_integer("score_batches", 1, "Data-dependent criteria see this many class-balanced "
                                     "batches of 10 examples a class (SNIP and the blend sum their gradient over one "
                                     "pass of each); 1: the references' single batch.", lower_bound=1)
ON_COLLAPSE = flags.DEFINE_enum("on_collapse", "warn", ["warn", "raise", "ignore"], "When masks leave a layer "
                                "with no weight (or a criterion scores a layer all zero): warn, stop with an error "
                                "before anything is written, or say nothing.")


def criterion() -> str:
    """--criterion, else --method ("dense": none)."""
    return CRITERION.value or METHOD.value


def pruning_config(criterion_name=None) -> PruningConfig:
    """The flags as a checked PruningConfig; `criterion_name` replaces the flags' criterion when given
    (None and "dense" mean no criterion)."""
    name = criterion_name if criterion_name is not None else criterion()
    return PruningConfig(criterion=None if name in (DENSE, "file") else name, sparsity=SPARSITY.value,
                         budget=BUDGET.value, policy=POLICY.value,
                         criterion_options=parse_options(METHOD_OPTIONS.value, "--method_options"),
                         budget_options=parse_options(BUDGET_OPTIONS.value, "--budget_options"),
                         on_collapse=ON_COLLAPSE.value, block=BLOCK.value,
                         score_batches=SCORE_BATCHES.value)


def prune_at():
    """--prune_at as a Duration, or None for "init"."""
    return None if PRUNE_AT.value == "init" else Duration.parse(PRUNE_AT.value)
