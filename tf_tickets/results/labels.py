"""What a run is, read from its config: its method's label, its check, its sparsity, and the runs whose files it
reads. Inferred, from the config's fields and from paths: the rules here (which procedure made a run, where a
file another run wrote lies now) are kept in this one module so that a run record that says so itself can
replace them.

Each run's method is a label read from its config (`method_label`): the criterion, or the procedure its
config describes (`lottery`, `lr_rewinding`, `hybrid`, `jackpot`, ...), with its budget when it is not the
method's own (`random@smart_ratio`, the `--methods` syntax) and any sanity check (`snip / random_labels`).
"""
import collections
import json
import os
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from tf_tickets import run_files
from tf_tickets.results.runs import DENSE, Run, config_in

# What a procedure ranks by and which budget it uses when nothing else is said (tf_tickets.procedures).
OWN_CRITERION = {"lottery": "magnitude", "lottery_one_shot": "magnitude", "lr_rewinding": "magnitude",
                 "fine_tuning": "magnitude", "hybrid": "magnitude", "obd": "obd"}
# The pruning identity's entries that the label already says (or that never tell methods apart).
_NAMED = {"method", "sparsity", "budget", "policy", "method_options", "budget_options", "mask_file", "prune_at",
          "invert", "jackpot", "gmp", "combined", "masks_from"}


class Sources:
    """The config of the run that wrote a file another run reads (its trained weights, its masks), found
    where the path says or, for runs moved since (copied from a cluster, say), among the runs found by
    the longest matching tail of the path. A path relative to the runs root (as a grid's runs name each
    other's files) is looked for under each folder above the run that names it (`seen_from`)."""

    def __init__(self, runs: Sequence[Run]):
        self.runs = runs

    def seen_from(self, run: Run) -> Callable[[Optional[str]], Optional[dict]]:
        """These sources for the files that `run`'s config names."""
        def source(path: Optional[str]) -> Optional[dict]:
            if path and not os.path.isabs(path):
                here = os.path.dirname(os.path.abspath(run.path))
                while os.path.dirname(here) != here:
                    config = config_in(os.path.join(here, os.path.dirname(os.path.normpath(path))))
                    if config is not None:
                        return config
                    here = os.path.dirname(here)
            return self(path)
        return source

    def __call__(self, path: Optional[str]) -> Optional[dict]:
        if not path:
            return None
        folder = os.path.dirname(os.path.normpath(path))
        if os.path.isabs(folder) and os.path.isfile(os.path.join(folder, run_files.CONFIG)):
            return config_in(folder)
        wanted = [p for p in folder.split(os.sep) if p]
        depths = collections.defaultdict(list)
        for run in self.runs:
            depths[_common_tail([p for p in run.path.split(os.sep) if p], wanted)].append(run)
        deepest = max(depths, default=0)
        # At least two matching parts ("clean/seed0"), and one run only: two that match as well are a guess.
        return depths[deepest][0].config if deepest >= 2 and len(depths[deepest]) == 1 else None


def _common_tail(a: List[str], b: List[str]) -> int:
    depth = 0
    while depth < min(len(a), len(b)) and a[-1 - depth] == b[-1 - depth]:
        depth += 1
    return depth


def check_of(config: dict) -> Optional[str]:
    """The sanity check a run was made under (`tf_tickets.checks` name), or None."""
    for key in ("corrupt", "mask_check"):
        if config.get(key, "none") not in (None, "none"):
            return config[key]
    return "invert" if config.get("pruning", {}).get("invert") else None


def _options(pruning: dict, budget: str, implied: Iterable[str] = ()) -> str:
    """"@budget[k=v, ...]": what makes this run's method differ from the method as named (its budget, the
    criterion's and budget's options, the policy, and any setting added to the identity later, such as
    `block`, which enters it only when set)."""
    text = f"@{pruning['budget']}" if pruning.get("budget", budget) != budget else ""
    options = {**pruning.get("method_options", {}), **pruning.get("budget_options", {})}
    shown = [f"{k}={setting_text(v)}" for k, v in sorted(options.items()) if k not in implied]
    if pruning.get("policy", "conv_dense") != "conv_dense":
        shown.append(f"policy={pruning['policy']}")
    shown += [f"{k}={setting_text(v)}" for k, v in sorted(pruning.items())
              if k not in _NAMED and v not in (None, False, 0, {}, [])]
    return text + (f"[{', '.join(shown)}]" if shown else "")


def setting_text(value) -> str:
    """A setting as a label shows it: six significant digits for a float (a searched learning rate)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value)


def _procedure(name: str, criterion: str) -> str:
    """"lottery" or, ranked by another criterion, "lottery:magnitude_gradient" (the --methods syntax)."""
    return name if criterion == OWN_CRITERION[name] else f"{name}:{criterion}"


def _after_training(config: dict, source: Callable) -> Tuple[str, str, Tuple[str, ...]]:
    """(label, the procedure's own budget, options it implies) of a run that prunes trained weights."""
    pruning = config["pruning"]
    criterion, budget = pruning["method"], pruning.get("budget", "global")
    start, score = config.get("start_from"), config.get("score_from")
    if start == score:  # retrained from the pruned trained weights
        if budget == "smart_ratio":  # learning-rate rewinding under smart-ratio counts is the hybrid ticket
            return _procedure("hybrid", criterion), "smart_ratio", ()
        if criterion == "obd":
            return "obd", "global", ()
        trained = source(score) or {}
        changed = any(trained.get(k) != config.get(k) for k in ("training_steps", "lr", "lr_schedule"))
        return _procedure("fine_tuning" if trained and changed else "lr_rewinding", criterion), "global", ()
    if start is None or os.path.basename(start) == run_files.REWIND_POINT:  # rewound: a lottery ticket
        if start is None and not config.get("within_masks") and \
                pruning.get("budget_options", {}).get("keep_classifier_dense"):
            return _procedure("lottery_one_shot", criterion), "global", ("keep_classifier_dense",)
        step = config.get("start_step", 0)
        return _procedure("lottery", criterion) + (f" (rewound to {step}it)" if step else ""), "global", ()
    return f"{criterion} (scored on other weights)", "global", ()


def method_label(config: dict, source: Callable[[Optional[str]], Optional[dict]] = lambda path: None) -> str:
    """A readable name for the method a run's config describes, without its check. `source(path)` gives
    the config of the run that wrote a file this run reads (to tell fine-tuning from learning-rate
    rewinding, and whose masks a mask file holds); without it the label is the config's alone."""
    pruning = config.get("pruning", {})
    method = pruning.get("method", DENSE)
    if pruning.get("mask_file"):
        masks_of = source(pruning["mask_file"])
        if masks_of is None:
            return "mask file" + _options(pruning, pruning.get("budget", "global"))
        kind = masks_of.get("pruning", {}).get("method")
        if kind == "jackpot":
            return "jackpot (tuned)"
        if kind == "gmp":
            return "gmp"
        return f"masks of {method_label(masks_of, source)}"
    if method == DENSE:
        return DENSE
    if method == "jackpot":
        settings = pruning.get("jackpot", {})
        extra = [f"rate={settings['rate']}"] if settings.get("rate", "constant") != "constant" else []
        extra += ["batch_statistics"] if settings.get("batch_statistics") else []
        return "jackpot" + _options(pruning, "global", ("keep_classifier_dense",)) + \
            (f" ({', '.join(extra)})" if extra else "")
    if method == "gmp":
        return "gmp (pruning run)" + _options(pruning, pruning.get("budget", "global"))
    if "combined" in pruning:  # siblings: members' rankings combined at the run's sparsity
        combined = pruning["combined"]
        return f"{combined['op']} of {len(combined['weights_of'])} ({method}{_options(pruning, 'global')})"
    if method in ("union", "intersection"):
        return f"{method} of {len(pruning.get('masks_from', []))}"
    if config.get("score_from"):
        label, budget, implied = _after_training(config, source)
        return label + _options(pruning, budget, implied)
    prune_at = pruning.get("prune_at", "init")
    when = f" (pruned at {prune_at})" if prune_at != "init" else \
        " (from start_from weights)" if config.get("start_from") else ""
    return method + _options(pruning, "global") + when


def label(config: dict, source: Callable = lambda path: None) -> str:
    """The method's label with its check, e.g. "snip / random_labels"."""
    check = check_of(config)
    return method_label(config, source) + (f" / {check}" if check else "")


def is_dense(method: str) -> bool:
    """Whether a label (with or without its check) names the dense network."""
    return method == DENSE or method.startswith(DENSE + " / ")


def sparsity_of(run: Run, source: Callable) -> float:
    """The sparsity the run was asked for (0 for a dense run); a mask file's that of the run that made it,
    else what the masks keep."""
    pruning = run.config["pruning"]
    if not run.pruned:
        return 0.0
    if pruning.get("mask_file"):
        masks_of = source(pruning["mask_file"])
        if masks_of and "sparsity" in masks_of.get("pruning", {}):
            return float(masks_of["pruning"]["sparsity"])
        if run.results and "density" in run.results:
            return round(1.0 - run.results["density"], 4)
    return float(pruning.get("sparsity", 0.0))
