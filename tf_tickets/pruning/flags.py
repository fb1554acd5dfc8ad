"""Pruning flags of the command line, defined next to `pruning_config()` that reads them."""
from absl import flags

from tf_tickets.pruning.config import DENSE, INIT, PruningConfig, parse_options

METHOD = flags.DEFINE_string("method", DENSE, "dense (no pruning), or a criterion: random, magnitude, snip, "
                             "grasp, synflow, obd, magnitude_gradient.")
SPARSITY = flags.DEFINE_float("sparsity", 0.9, "Fraction of prunable weights removed, in [0, 1).")
BUDGET = flags.DEFINE_string("budget", "global", "Layer budget: global, layerwise, smart_ratio, erk, custom.")
POLICY = flags.DEFINE_string("policy", "conv_dense", "Which layers carry masks: conv_dense, skip_first, "
                             "skip_classifier, skip_first_and_classifier, xnnpack_1x1.")
MASK_FILE = flags.DEFINE_string("mask_file", None, "Masks to use (.npz keyed by layer name), instead of a method.")
PRUNE_AT = flags.DEFINE_string("prune_at", INIT, "When to prune: init, or after a duration of dense training "
                               "(e.g. 500it, 2ep).")
METHOD_OPTIONS = flags.DEFINE_list("method_options", [], "Criterion options, key=value (e.g. temperature=200).")
BUDGET_OPTIONS = flags.DEFINE_list("budget_options", [], "Budget options, key=value (e.g. linear_keep_ratio=0.3).")


def pruning_config(method=None) -> PruningConfig:
    """The flags as a checked PruningConfig; `method` replaces --method when given."""
    return PruningConfig(method=method or METHOD.value, sparsity=SPARSITY.value, budget=BUDGET.value, policy=POLICY.value,
                         mask_file=MASK_FILE.value, prune_at=PRUNE_AT.value,
                         method_options=parse_options(METHOD_OPTIONS.value, "--method_options"),
                         budget_options=parse_options(BUDGET_OPTIONS.value, "--budget_options"))

