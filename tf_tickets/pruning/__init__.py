"""Masks carried by TF-MOT wrappers: wrapping by policy, fixed-mask schedules, `prune`, reports, files."""
from tf_tickets import masks as mask_files
from tf_tickets.pruning import collapse, scores, scoring_copies  # noqa: F401  (scores registers its mask carrier)
from tf_tickets.pruning.carrier import (MaskCarrier, Target, apply_masks, assign_masks, current_masks, inner_layer,
                                        is_wrapped, strip, targets)
from tf_tickets.pruning.policies import POLICIES
from tf_tickets.pruning.pruner import Pruner, prune
from tf_tickets.pruning.report import format_report, sparsity_report
from tf_tickets.pruning.schedules import FixedMask, OneShot
from tf_tickets.pruning.wrapping import check_model, wrap

__all__ = ["POLICIES", "FixedMask", "collapse", "scoring_copies", "MaskCarrier", "OneShot", "Pruner", "Target", "apply_masks", "assign_masks",
           "check_model", "current_masks", "format_report", "inner_layer", "is_wrapped", "mask_files", "prune",
           "sparsity_report", "strip", "targets", "wrap"]
