"""What scores the weights and how many are kept where: checked before anything is written.

Vocabulary: a *criterion* scores weights (snip, magnitude, ...), a *budget* turns a sparsity into
per-layer keep counts, a *policy* picks the layers that carry masks. When and from which weights masks
are computed (at initialisation, at a step of training, from a file, ...) is the run's mask source
(`tf_tickets.runs`); how a ticket is made (lottery tickets, learning-rate rewinding, ...) is a
*procedure* (`tf_tickets.procedures`).
"""
import dataclasses
from typing import Optional

from tf_tickets import budgets, criteria
from tf_tickets.errors import TicketsError
from tf_tickets.hparams import Hparams, setting
from tf_tickets.pruning import collapse, policy_names

DENSE = "dense"  # the command line's word for "no criterion, no pruning"


@dataclasses.dataclass(frozen=True)
class PruningConfig(Hparams):
    """The run record (`to_dict`) keeps the names run directories have always used: the criterion is
    "method", its options "method_options". The fields' flags: `tf_tickets.pruning.flags`."""

    criterion: Optional[str] = setting(  # None: no criterion chosen (a dense run, or the procedure picks one)
        None, "What scores the weights: random, magnitude, snip, grasp, synflow, obd, magnitude_gradient; "
              "dense: none (the default).", key="method", none_as=DENSE)
    sparsity: float = setting(0.9, "Fraction of prunable weights removed, in [0, 1).")
    budget: str = setting("global", "Layer budget: global, layerwise, smart_ratio, erk, custom.")
    policy: str = setting("conv_dense", "Which layers carry masks: conv_dense, skip_first, skip_classifier, "
                                        "skip_first_and_classifier, xnnpack_1x1.")
    criterion_options: tuple = setting((), "Criterion options, key=value (e.g. temperature=200).",
                                       flag="method_options", key="method_options", options=True)
    budget_options: tuple = setting((), "Budget options, key=value (e.g. linear_keep_ratio=0.3).", options=True)
    on_collapse: str = setting(  # how empty layers are reported: not part of a run's identity
        "warn", "When masks leave a layer with no weight (or a criterion scores a layer all zero): warn, stop with "
                "an error before anything is written, or say nothing.", choices=collapse.POLICIES, recorded=False)
    block: int = setting(  # > 1: Dense and 1x1-conv kernels keep whole 1 x block blocks (see Pruner)
        0, "Block-structured masks: Dense and 1x1-conv kernels keep whole blocks of this many consecutive inputs (4: "
           "what float TFLite runs sparse; 16 for int8); 0: unstructured.", omit_default=True)  # added later
    score_batches: int = setting(  # class-balanced batches a data-dependent criterion sees (see Pruner)
        1, "Data-dependent criteria see this many class-balanced batches of 10 examples a class (SNIP and the blend "
           "sum their gradient over one pass of each); 1: the references' single batch.", lower_bound=1,
        omit_default=True)  # added later: in the record only when set, so earlier runs keep theirs

    def __post_init__(self):
        super().__post_init__()
        if not 0 <= self.sparsity < 1:
            raise TicketsError(f"sparsity must be in [0, 1), got {self.sparsity}")
        if self.criterion is not None:
            criteria.make(self.criterion, **dict(self.criterion_options))
        budgets.make(self.budget, **dict(self.budget_options))
        policy_names.NAMES.lookup(self.policy)  # each Keras makes its own policy of the name
        if self.on_collapse not in collapse.POLICIES:
            raise TicketsError(f"on_collapse must be one of {', '.join(collapse.POLICIES)}, got {self.on_collapse!r}")
        if self.block < 0 or self.block == 1:
            raise TicketsError(f"--block must be 0 (unstructured) or at least 2, got {self.block}")
        criteria.base.positive_int("--score_batches", self.score_batches)

    def with_criterion(self, criterion: str, **changes) -> "PruningConfig":
        return dataclasses.replace(self, criterion=criterion, **changes)

    def pruner(self, seed: int, invert: bool = False):
        from tf_tickets.pruning.pruner import Pruner

        if self.criterion is None:
            raise TicketsError("no criterion chosen: set --criterion")
        return Pruner(self.criterion, self.sparsity, self.budget, seed, dict(self.criterion_options),
                      dict(self.budget_options), invert=invert, on_collapse=self.on_collapse, block=self.block,
                      score_batches=self.score_batches)


def split_budget(text: str):
    """"snip@global" -> ("snip", "global"); "snip" -> ("snip", None): an entry of --tickets or --methods,
    a procedure or criterion and the budget it runs under."""
    name, _, budget = text.partition("@")
    return name.strip(), budget.strip() or None


parse_method_budget = split_budget  # the older name, which tf_tickets.results.densities still uses
