"""Masks carried by TF-MOT wrappers: wrapping by policy, fixed-mask schedules, `prune`, reports, files."""
from tf_tickets.pruning import masks as mask_files
from tf_tickets.pruning.policies import POLICIES
from tf_tickets.pruning.pruner import Pruner, prune
from tf_tickets.pruning.report import format_report, sparsity_report
from tf_tickets.pruning.schedules import FixedMask, OneShot
from tf_tickets.pruning.wrapping import (apply_masks, assign_masks, check_model, current_masks, strip, targets,
                                         wrap)

__all__ = ["POLICIES", "FixedMask", "OneShot", "Pruner", "apply_masks", "assign_masks", "check_model",
           "current_masks", "format_report", "mask_files", "prune", "sparsity_report", "strip",
           "targets", "wrap"]
