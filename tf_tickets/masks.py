"""Mask algebra in pure NumPy: top-k, files, union and intersection, re-targeting, overlap.

A mask set is {layer key: 0/1 array}, in the prunable layers' forward order: what mask files hold and
`current_masks` returns. Wherever masks meet other masks or a model, their layers are matched by one rule
(`match_layers`): by name, or by position when the names differ, as they do between builds of one
architecture in one process (Keras numbers unnamed layers anew: dense_4, dense_8). Nothing here imports
TensorFlow, so the siblings command, the mask tools, every kind of mask carrier and the Python API share one
small module.
"""
import io
import os
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.files import write_atomic_bytes

MaskSet = Dict[str, np.ndarray]


def as_scores(values) -> np.ndarray:
    """Scores as a float array: float32 and float64 as they are (ranking float32 values in float32 gives the
    same order and ties as in float64, with half the memory traffic over millions of weights), anything
    else as float64."""
    values = np.asarray(values)
    if values.dtype in (np.float32, np.float64):
        return values
    return values.astype(np.float64)


def top_k(scores: Sequence[np.ndarray], counts: Sequence[int]) -> List[np.ndarray]:
    """Per layer, a 0/1 float32 mask keeping exactly `count` highest scores (ties: the earlier position wins)."""
    return [keep.astype(np.float32) for keep in top_k_kept(scores, counts)]


def top_k_kept(scores: Sequence[np.ndarray], counts: Sequence[int]) -> List[np.ndarray]:
    """`top_k` as booleans (a quarter of the memory; whoever needs floats casts them where it is cheapest)."""
    kept = []
    for score, count in zip(scores, counts):
        flat = as_scores(score).ravel()
        count = int(count)
        if not 0 <= count <= flat.size:
            raise ValueError(f"keep count {count} outside [0, {flat.size}]")
        if count == flat.size:
            keep = np.ones(flat.size, bool)
        elif count:
            # A stable order over (-score, position) makes ties deterministic: the first tied positions win.
            kth = kth_highest(flat, count)
            keep = flat > kth
            at = np.flatnonzero(flat == kth)[: count - int(np.count_nonzero(keep))]
            keep[at] = True
        else:
            keep = np.zeros(flat.size, bool)
        kept.append(keep.reshape(np.shape(score)))
    return kept


top_k_masks = top_k


def blockable(shape: Sequence[int]) -> bool:
    """Kernels TFLite can run block-sparse: Dense ([in, out]) and 1x1 convolutions ([1, 1, in, out])."""
    return len(shape) == 2 or (len(shape) == 4 and tuple(shape[:2]) == (1, 1))


def block_top_k(score: np.ndarray, count: int, block: int) -> np.ndarray:
    """A 0/1 mask of a Dense or 1x1-conv kernel that keeps whole blocks of `block` consecutive inputs of
    one output unit (TFLite's 1xN blocks of its [out, in] layout), the blocks with the highest mean score;
    as many blocks as hold `count` weights, rounded to the nearest block (a last, shorter block of an
    input size that `block` does not divide counts its own length)."""
    shape = np.shape(score)
    matrix = np.asarray(score, np.float64).reshape(-1, shape[-1])  # [in, out]
    inputs = matrix.shape[0]
    padded = -(-inputs // block) * block
    grid = np.full((padded, matrix.shape[1]), np.nan)
    grid[:inputs] = matrix
    block_scores = np.nanmean(grid.reshape(padded // block, block, -1), axis=1)  # [blocks, out]
    lengths = np.minimum(block, inputs - block * np.arange(padded // block))[:, None] * np.ones_like(block_scores)
    order = np.argsort(-block_scores, axis=None, kind="stable")
    kept_weights = np.cumsum(lengths.ravel()[order])
    keep_blocks = int(np.argmin(np.abs(np.concatenate([[0], kept_weights]) - count)))
    chosen = np.zeros(block_scores.size, np.float32)
    chosen[order[:keep_blocks]] = 1
    mask = np.repeat(chosen.reshape(block_scores.shape), block, axis=0)[:inputs]
    return mask.reshape(shape)


def kth_highest(values: np.ndarray, k: int):
    """The k-th highest of a 1-D array (1 <= k <= size), in linear time. Values tied at the minimum (the
    zeros of already-pruned weights, say) cannot be it while fewer than k others exist above them, so
    the selection skips them: iterative pruning's later rounds select among the survivors only."""
    return kth_highest_of([values], k)


def kth_highest_of(pieces: Sequence[np.ndarray], k: int):
    """`kth_highest` of the pieces' values together. Where many values tie at the minimum (pruned zeros),
    they are left out before the one copy that is partitioned."""
    pieces = [np.ravel(p) for p in pieces]
    if not _many_at_minimum(pieces):
        found = _kth_highest_near_a_sample(pieces, k) if sum(p.size for p in pieces) >= SAMPLED_FROM else None
        if found is not None:
            return found
        values = np.concatenate(pieces)  # always a copy: partitioned in place below
        values.partition(values.size - k)
        return values[values.size - k]
    low = min(p.min() for p in pieces if p.size)
    kept, above = [], 0
    for piece in pieces:
        mask = piece > low
        count = int(np.count_nonzero(mask))
        above += count
        # np.partition is slow among many ties at the minimum, so those are left out; a piece with few
        # of them stays whole (its minima rank last, so the k-th highest does not change), which is
        # cheaper than copying out the rest (np.compress: faster than a boolean index when many go).
        kept.append(piece if count > 0.9 * piece.size else np.compress(mask, piece))
    if k > above:
        return low
    values = np.concatenate(kept)  # always a copy: partitioned in place below
    values.partition(values.size - k)
    return values[values.size - k]


SAMPLED_FROM = 1 << 20  # values from which `_kth_highest_near_a_sample` is tried first
_SAMPLE = 1 << 16


def _kth_highest_near_a_sample(pieces: Sequence[np.ndarray], k: int):
    """The k-th highest of the pieces' values, partitioning only those between two bounds that a strided
    sample puts around it (a few percent of them), or None when the bounds miss it. Copying all of them
    out means one fresh allocation the size of the network, which costs from 13 to 200 ms on VGG19's
    20 M scores here; the bounds cost a few passes over them and no large allocation. No NaN: both callers
    check for them first."""
    size = sum(p.size for p in pieces)
    sample = np.sort(np.concatenate([p[::max(1, size // _SAMPLE)] for p in pieces]))
    centre = sample.size * (1 - k / size)  # where the k-th highest falls in the ascending sample
    margin = 4 * np.sqrt(sample.size) + 1  # at least 8 standard deviations of a sample quantile's rank
    low = sample[max(0, int(centre - margin))]
    high_index = int(centre + margin) + 1
    high = sample[high_index] if high_index < sample.size else None
    above, parts = 0, []
    for p in pieces:  # two comparisons a value: those above `high` are those from `low` up less those between
        chosen = p >= low
        if high is not None:
            from_low = int(np.count_nonzero(chosen))
            np.logical_and(chosen, p < high, out=chosen)
        part = np.compress(chosen, p)
        above += 0 if high is None else from_low - part.size
        parts.append(part)
    if above >= k:
        return None
    between = np.concatenate(parts)
    rank = k - above  # the k-th highest of all is the rank-th highest of those between the bounds
    if rank > between.size:
        return None
    between.partition(between.size - rank)
    return between[between.size - rank]


def _many_at_minimum(pieces: Sequence[np.ndarray], share: float = 0.05) -> bool:
    """Whether a strided sample of the values has more than `share` of them at its minimum (the zeros of
    pruned weights, say), which is when leaving the minima out pays for its two passes. A guess that
    only decides the speed: both ways find the same value."""
    sample = np.concatenate([p[::max(1, p.size // 1024)] for p in pieces])
    return sample.size > 0 and np.count_nonzero(sample == sample.min()) > share * sample.size


def save(masks: MaskSet, path: str) -> None:
    """Writes {key: mask} as a compressed .npz of uint8 arrays, atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v).astype(np.uint8) for k, v in masks.items()})
    write_atomic_bytes(path, buffer.getvalue())


def load(path: str) -> MaskSet:
    """Reads a mask file (no pickle, so a file from elsewhere cannot run code)."""
    if not os.path.isfile(path):
        raise TicketsError(f"mask file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key].astype(np.float32) for key in archive.files}
    except (ValueError, OSError) as error:
        raise TicketsError(f"cannot read mask file {path}: {str(error).splitlines()[0]}") from None


def kept(masks: MaskSet) -> int:
    """Weights kept over all layers (what a sparsity target counts)."""
    return int(sum(np.count_nonzero(m) for m in masks.values()))


def size(masks: MaskSet) -> int:
    """Weights over all layers, kept or not."""
    return int(sum(np.size(m) for m in masks.values()))


def density(masks: MaskSet) -> float:
    """Fraction kept; 1.0 for no weights at all (nothing was pruned)."""
    total = size(masks)
    return kept(masks) / total if total else 1.0


class Slot(NamedTuple):
    """What a layer key stands for, to match it by position: its weight's shape and, where known, its kind
    ("dense" or "conv", as a carrier's targets say; a mask set does not)."""

    shape: Tuple[int, ...]
    kind: Optional[str] = None

    def __str__(self):
        return f"{self.kind} {self.shape}" if self.kind else str(self.shape)


Layout = Dict[str, Slot]  # layer key -> its slot, in forward order


def layout(arrays: Dict[str, object]) -> Layout:
    """The layout of a mask set (or of any {key: array}, in its order)."""
    return {key: Slot(tuple(int(n) for n in np.shape(value))) for key, value in arrays.items()}


def _fits(a: Slot, b: Slot) -> bool:
    return tuple(a.shape) == tuple(b.shape) and (a.kind is None or b.kind is None or a.kind == b.kind)


def match_layers(reference: Layout, other: Layout, names: Tuple[str, str] = ("set 1", "set 2"),
                 mismatch: Optional[str] = None) -> Dict[str, str]:
    """{`other`'s key: `reference`'s key} for the same layers. By name when both have the same keys (their
    shapes must agree); else by position, the prunable layers in forward order, when their number, shapes and
    kinds agree and no key both have names a layer at another position. Anything else is a one-line
    TicketsError that starts with `mismatch` (default "<names[1]> does not match <names[0]>") and names the
    first difference. Every place where masks meet masks or a model matches layers here."""
    ref_name, other_name = names
    mismatch = mismatch or f"{other_name} does not match {ref_name}"
    if set(reference) == set(other):
        for key, slot in reference.items():
            if not _fits(other[key], slot):
                raise TicketsError(f"{mismatch}: {key} has shape {other[key]} in {other_name}, {slot} in {ref_name}")
        return {key: key for key in other}
    absent = [key for key in other if key not in reference]
    unmatched = [key for key in reference if key not in other]
    by_name = "; ".join(filter(None, [absent and f"not in {ref_name}: {_some(absent)}",
                                      unmatched and f"not in {other_name}: {_some(unmatched)}"]))
    if len(other) != len(reference):
        raise TicketsError(f"{mismatch}: by name, {by_name}; by position, {len(other)} layers against "
                           f"{len(reference)}")
    for position, ((key, slot), (ref_key, ref_slot)) in enumerate(zip(other.items(), reference.items()), start=1):
        if not _fits(slot, ref_slot) or (key in reference and key != ref_key):
            raise TicketsError(f"{mismatch}: by name, {by_name}; by position, layer {position} is {key} {slot} in "
                               f"{other_name}, {ref_key} {ref_slot} in {ref_name}")
    return dict(zip(other, reference))


def _some(keys: Sequence[str], shown: int = 4) -> str:
    return ", ".join(keys[:shown]) + (f" (+{len(keys) - shown} more)" if len(keys) > shown else "")


def align(arrays: Dict[str, object], to: Layout, names: Tuple[str, str] = ("set 1", "set 2"),
          mismatch: Optional[str] = None, slots: Optional[Layout] = None) -> Dict[str, object]:
    """`arrays` (masks, scores) keyed and ordered as the layout `to`, their layers matched by `match_layers`;
    `slots`: the arrays' own layout where more than their shapes is known (their layers' kinds)."""
    renamed = {mine: theirs for theirs, mine in match_layers(to, slots or layout(arrays), names, mismatch).items()}
    return {key: arrays[renamed[key]] for key in to}


def aligned(mask_sets: Sequence[MaskSet], label: str = "mask set") -> List[MaskSet]:
    """The sets, each keyed and ordered as the first (`match_layers`); a one-line error unless they all
    match it (and there is at least one)."""
    if not mask_sets:
        raise TicketsError("no masks given")
    first = layout(mask_sets[0])
    return [mask_sets[0]] + [align(other, first, (f"{label} 1", f"{label} {number}"))
                             for number, other in enumerate(mask_sets[1:], start=2)]


def votes(mask_sets: Sequence[MaskSet]) -> Dict[str, np.ndarray]:
    """Per position, how many sets keep it (keyed as the first set)."""
    mask_sets = aligned(mask_sets)
    return {key: sum((np.asarray(m[key]) != 0).astype(np.int32) for m in mask_sets) for key in mask_sets[0]}


def union(mask_sets: Sequence[MaskSet]) -> MaskSet:
    """Kept where any set keeps it."""
    return {k: (v >= 1).astype(np.float32) for k, v in votes(mask_sets).items()}


def intersection(mask_sets: Sequence[MaskSet]) -> MaskSet:
    """Kept where every set keeps it."""
    return {k: (v == len(mask_sets)).astype(np.float32) for k, v in votes(mask_sets).items()}


def _ranked_flat(masks: MaskSet, priority: MaskSet, keys) -> Tuple[np.ndarray, List[int]]:
    """Positions of `keys` (concatenated) ordered best first: kept before pruned, then by priority."""
    masks, priority = aligned([masks, priority])
    kept_flag = np.concatenate([(np.asarray(masks[k]) != 0).ravel() for k in keys])
    prio = np.concatenate([np.asarray(priority[k], np.float64).ravel() for k in keys])
    position = np.arange(kept_flag.size)
    order = np.lexsort((position, -prio, ~kept_flag))  # last key sorts first
    return order, [int(np.size(masks[k])) for k in keys]


def _from_flat(flat: np.ndarray, masks: MaskSet, keys) -> MaskSet:
    """Cuts a concatenated 0/1 vector back into `masks`' layers and shapes."""
    out, start = {}, 0
    for key in keys:
        n = int(np.size(masks[key]))
        out[key] = flat[start:start + n].reshape(np.shape(masks[key])).astype(np.float32)
        start += n
    return out


def retarget(masks: MaskSet, keep: int, priority: MaskSet) -> MaskSet:
    """Exactly `keep` positions over all layers together: the mask's kept positions first, then the
    highest `priority` (ties: layer order, then position). Re-targets a union (too many kept) or an
    intersection (too few) to an exact sparsity."""
    keys = list(masks)
    total = size(masks)
    if not 0 <= int(keep) <= total:
        raise TicketsError(f"cannot keep {keep} of {total} weights")
    order, _ = _ranked_flat(masks, priority, keys)
    flat = np.zeros(total, np.float32)
    flat[order[:int(keep)]] = 1
    return _from_flat(flat, masks, keys)


def retarget_per_layer(masks: MaskSet, counts: Dict[str, int], priority: MaskSet) -> MaskSet:
    """As `retarget`, with an exact count per layer, so that a layer budget survives the combination."""
    masks, priority = aligned([masks, priority])
    missing = [key for key in masks if key not in counts]
    if missing:
        raise TicketsError(f"no keep count for {', '.join(missing[:4])}")
    for key in masks:
        if not 0 <= int(counts[key]) <= np.size(masks[key]):
            raise TicketsError(f"{key}: cannot keep {counts[key]} of {np.size(masks[key])} weights")
    return {key: retarget({key: masks[key]}, counts[key], {key: priority[key]})[key] for key in masks}


def search_density(make: Callable[[float], MaskSet], keep: int, tolerance: int = 0,
                   iterations: int = 40) -> Tuple[float, MaskSet]:
    """The smallest member density d (bisection in [0, 1]) whose combination `make(d)` keeps at least
    `keep` weights, and that combination; `make`'s count must grow with d. The search stops early once
    the combination keeps at most `tolerance` extra (then d need not be the smallest). This is how
    siblings' union or intersection is re-targeted: search the per-sibling density that makes the
    combination hit the wanted sparsity, then trim the few extra with `retarget`."""
    low, high = 0.0, 1.0
    best = make(high)
    if kept(best) < keep:
        raise TicketsError(f"even at density 1 the combination keeps {kept(best)} < {keep} weights")
    for _ in range(iterations):
        middle = (low + high) / 2
        combined = make(middle)
        if kept(combined) >= keep:
            high, best = middle, combined
            if kept(combined) - keep <= tolerance:
                break
        else:
            low = middle
    return high, best


def overlap(a: MaskSet, b: MaskSet) -> Dict:
    """Intersection over union of the kept positions, per layer (keyed as `a`) and over all layers."""
    a, b = aligned([a, b])
    layers = {}
    for key in a:
        x, y = np.asarray(a[key]) != 0, np.asarray(b[key]) != 0
        inter, uni = int(np.count_nonzero(x & y)), int(np.count_nonzero(x | y))
        layers[key] = {"intersection": inter, "union": uni, "iou": inter / uni if uni else 1.0}
    return _totals(layers)


def chance_overlap(a: MaskSet, b: MaskSet) -> Dict:
    """The overlap expected if each layer's kept positions were drawn at random with the same per-layer
    counts: per layer E|A∩B| = n·da·db and E|A∪B| = n·(da+db-da·db), summed over layers (one global
    N·d1·d2 would overstate "above chance" under non-uniform budgets)."""
    a, b = aligned([a, b])
    layers = {}
    for key in a:
        n = float(np.size(a[key]))
        da, db = (np.count_nonzero(a[key]) / n, np.count_nonzero(b[key]) / n) if n else (0.0, 0.0)
        inter, uni = n * da * db, n * (da + db - da * db)
        layers[key] = {"intersection": inter, "union": uni, "iou": inter / uni if uni else 1.0}
    return _totals(layers)


def _totals(layers: Dict) -> Dict:
    inter = sum(v["intersection"] for v in layers.values())
    uni = sum(v["union"] for v in layers.values())
    return {"layers": layers, "intersection": inter, "union": uni, "iou": inter / uni if uni else 1.0}


def overlap_matrix(named: Dict[str, MaskSet]) -> Dict:
    """Pairwise overall IoU, its chance level, and their ratio, for several named mask sets."""
    names = list(named)
    iou = [[overlap(named[p], named[q])["iou"] for q in names] for p in names]
    chance = [[chance_overlap(named[p], named[q])["iou"] for q in names] for p in names]
    relative = [[(i / c) if c else 1.0 for i, c in zip(row_i, row_c)] for row_i, row_c in zip(iou, chance)]
    return {"names": names, "iou": iou, "chance": chance, "relative": relative}
