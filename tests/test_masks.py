"""The pure-NumPy mask algebra: what a user relies on when combining, re-targeting and comparing masks."""
import pathlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tf_tickets import masks
from tf_tickets.errors import TicketsError

REPO = pathlib.Path(__file__).resolve().parents[1]
SHAPES = {"conv1": (3, 3, 3, 16), "conv2": (3, 3, 16, 32), "dense": (512, 10)}


def random_masks(seed, density=0.3, shapes=SHAPES):
    """A mask set keeping exactly round(density * n) random positions per layer."""
    rng = np.random.default_rng(seed)
    keys = list(shapes)
    scores = [rng.random(shapes[k]) for k in keys]
    counts = [round(density * np.prod(shapes[k])) for k in keys]
    return dict(zip(keys, masks.top_k(scores, counts)))


def random_priority(seed, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return {k: rng.random(s) for k, s in shapes.items()}


def as_bool(mask_set):
    return {k: np.asarray(v) != 0 for k, v in mask_set.items()}


def assert_one_line_error(excinfo, *words):
    message = str(excinfo.value)
    assert message and "\n" not in message
    for word in words:
        assert word in message


# ---- top-k -------------------------------------------------------------------------------------------

def test_top_k_keeps_exact_counts_with_shapes_and_float32():
    rng = np.random.default_rng(0)
    scores = [rng.integers(0, 4, size=(6, 7)), rng.random((5,)), rng.random((2, 3, 4))]
    counts = [17, 0, 24]
    out = masks.top_k(scores, counts)
    assert [m.shape for m in out] == [(6, 7), (5,), (2, 3, 4)]
    assert [int(m.sum()) for m in out] == counts
    assert all(m.dtype == np.float32 and set(np.unique(m)) <= {0.0, 1.0} for m in out)
    # Every kept score is at least every pruned score.
    kept_scores, pruned_scores = scores[0][out[0] == 1], scores[0][out[0] == 0]
    assert kept_scores.min() >= pruned_scores.max()


def test_top_k_ties_go_to_the_earlier_position():
    out = masks.top_k([np.array([3.0, 1.0, 3.0, 3.0, 0.0, 3.0])], [2])[0]
    np.testing.assert_array_equal(out, [1, 0, 1, 0, 0, 0])
    flat_ties = masks.top_k([np.ones((2, 3))], [4])[0]
    np.testing.assert_array_equal(flat_ties, [[1, 1, 1], [1, 0, 0]])
    above_then_ties = masks.top_k([np.array([1.0, 5.0, 1.0, 1.0])], [3])[0]
    np.testing.assert_array_equal(above_then_ties, [1, 1, 1, 0])


def test_top_k_rejects_counts_out_of_range_and_has_its_old_name():
    with pytest.raises(ValueError, match="outside"):
        masks.top_k([np.zeros(4)], [5])
    with pytest.raises(ValueError, match="outside"):
        masks.top_k([np.zeros(4)], [-1])
    np.testing.assert_array_equal(masks.top_k([np.arange(4.0)], [4])[0], np.ones(4))
    assert masks.top_k_masks is masks.top_k


# ---- files -------------------------------------------------------------------------------------------

def test_save_load_round_trip_as_compressed_uint8(tmp_path):
    original = random_masks(1)
    path = tmp_path / "sub" / "masks.npz"
    masks.save(original, str(path))
    with zipfile.ZipFile(path) as archive:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    with np.load(path, allow_pickle=False) as raw:
        assert sorted(raw.files) == sorted(original)
        assert all(raw[k].dtype == np.uint8 for k in raw.files)
    again = masks.load(str(path))
    assert list(again) == list(original)
    for key in original:
        assert again[key].dtype == np.float32
        np.testing.assert_array_equal(again[key], original[key])
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_load_refuses_a_missing_file_a_pickled_file_and_garbage(tmp_path):
    with pytest.raises(TicketsError) as missing:
        masks.load(str(tmp_path / "nope.npz"))
    assert_one_line_error(missing, "does not exist")
    pickled = tmp_path / "evil.npz"
    np.savez(pickled, conv1=np.array([{"run": "code"}], dtype=object))
    with pytest.raises(TicketsError) as evil:
        masks.load(str(pickled))
    assert_one_line_error(evil, "cannot read mask file", str(pickled))
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file\nat all")
    with pytest.raises(TicketsError) as bad:
        masks.load(str(garbage))
    assert_one_line_error(bad, "cannot read mask file")


# ---- counts ------------------------------------------------------------------------------------------

def test_kept_size_density():
    mask_set = {"a": np.array([[1, 0], [0, 1]], np.float32), "b": np.array([0, 0, 1, 1, 1, 0], np.float32)}
    assert masks.kept(mask_set) == 5 and isinstance(masks.kept(mask_set), int)
    assert masks.size(mask_set) == 10 and isinstance(masks.size(mask_set), int)
    assert masks.density(mask_set) == pytest.approx(0.5)
    assert masks.density({}) == 1.0
    assert masks.density({"empty": np.zeros((0, 3))}) == 1.0


# ---- combining ---------------------------------------------------------------------------------------

def test_union_contains_each_member_which_contains_the_intersection():
    members = [random_masks(seed, density=d) for seed, d in [(1, 0.2), (2, 0.5), (3, 0.35)]]
    union, inter = masks.union(members), masks.intersection(members)
    for key in SHAPES:
        assert union[key].dtype == np.float32 and inter[key].dtype == np.float32
        assert union[key].shape == SHAPES[key]
        for member in members:
            m = member[key] != 0
            assert np.all(m <= (union[key] != 0)), "union must contain every member"
            assert np.all((inter[key] != 0) <= m), "every member must contain the intersection"
    assert masks.kept(inter) < min(masks.kept(m) for m in members)
    assert masks.kept(union) > max(masks.kept(m) for m in members)


def test_votes_are_the_sum_of_members():
    members = [random_masks(seed) for seed in range(4)]
    votes = masks.votes(members)
    for key in SHAPES:
        assert votes[key].dtype == np.int32
        np.testing.assert_array_equal(votes[key], sum(m[key].astype(np.int32) for m in members))
    union, inter = masks.union(members), masks.intersection(members)
    for key in SHAPES:
        np.testing.assert_array_equal(union[key], votes[key] >= 1)
        np.testing.assert_array_equal(inter[key], votes[key] == 4)


def test_incompatible_sets_raise_a_one_line_error():
    a = random_masks(0)
    other_keys = dict(a, extra=np.ones(3))
    other_shape = dict(a, dense=np.ones((10, 512)))
    with pytest.raises(TicketsError) as keys:
        masks.aligned([a, a, other_keys])
    assert_one_line_error(keys, "mask set 3", "extra", "4 layers against 3")
    with pytest.raises(TicketsError) as shapes:
        masks.union([a, other_shape])
    assert_one_line_error(shapes, "mask set 2", "dense", "(10, 512)", "(512, 10)")
    with pytest.raises(TicketsError) as none:
        masks.intersection([])
    assert_one_line_error(none, "no masks")
    for call in (masks.votes, masks.union, masks.intersection):
        with pytest.raises(TicketsError):
            call([a, other_keys])
    with pytest.raises(TicketsError):
        masks.overlap(a, other_shape)
    with pytest.raises(TicketsError):
        masks.chance_overlap(a, other_keys)
    with pytest.raises(TicketsError):
        masks.retarget(a, 10, other_shape)
    assert masks.aligned([a]) == [a]
    reordered = {k: a[k] for k in reversed(list(a))}  # the same names: matched by name, whatever the order
    assert list(masks.aligned([a, reordered])[1]) == list(a)


def renamed(mask_set, names):
    return dict(zip(names, mask_set.values()))


def test_layers_are_matched_by_name_else_by_position_else_the_first_difference_is_named():
    """Keras numbers unnamed layers anew at each build of a model in one process (dense_4, dense_8): masks of
    the same architecture then differ only in their names, and are matched by position."""
    a, b = random_masks(0), random_masks(1)
    rebuilt = renamed(b, ["conv2d_4", "conv2d_5", "dense_8"])
    assert masks.match_layers(masks.layout(a), masks.layout(rebuilt)) == dict(zip(rebuilt, a))
    for got, want in ((masks.union([a, rebuilt]), masks.union([a, b])),
                      (masks.intersection([a, rebuilt]), masks.intersection([a, b])),
                      (masks.overlap(a, rebuilt), masks.overlap(a, b)),
                      (masks.chance_overlap(a, rebuilt), masks.chance_overlap(a, b))):
        assert list(got) == list(want) and str(got) == str(want)  # keyed as the first set, same values
    # A name both have, at another position, is no match: the names say otherwise.
    with pytest.raises(TicketsError) as names_disagree:
        masks.union([a, renamed(b, ["conv2", "conv1", "dense_8"])])
    assert_one_line_error(names_disagree, "mask set 2 does not match mask set 1", "layer 1 is conv2 (3, 3, 3, 16)",
                          "conv1 (3, 3, 3, 16) in mask set 1")
    with pytest.raises(TicketsError) as shapes:
        masks.overlap(a, renamed(random_masks(1, shapes={"x": (3, 3, 3, 16), "y": (3, 3, 16, 8), "z": (512, 10)}),
                                 ["conv2d_4", "conv2d_5", "dense_8"]))
    assert_one_line_error(shapes, "not in mask set 1: conv2d_4, conv2d_5, dense_8", "layer 2 is conv2d_5 (3, 3, 16, 8)",
                          "conv2 (3, 3, 16, 32) in mask set 1")
    # Kinds, where both sides know them, must agree too.
    dense_first = {"fc": masks.Slot((3, 3), "dense")}
    with pytest.raises(TicketsError) as kinds:
        masks.match_layers(dense_first, {"conv": masks.Slot((3, 3), "conv")}, ("the model", "the masks"),
                           "the masks do not match the model")
    assert_one_line_error(kinds, "the masks do not match the model", "conv (3, 3) in the masks, fc dense (3, 3)")
    assert masks.match_layers(dense_first, {"dense_3": masks.Slot((3, 3))}) == {"dense_3": "fc"}


# ---- re-targeting ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.3, 0.5, 0.9, 1.0])
def test_retarget_keeps_exactly_keep_and_respects_the_mask_first(fraction):
    original = random_masks(5, density=0.3)
    priority = random_priority(6)
    keep = round(fraction * masks.size(original))
    out = masks.retarget(original, keep, priority)
    assert masks.kept(out) == keep
    assert list(out) == list(original)
    assert all(out[k].shape == SHAPES[k] and out[k].dtype == np.float32 for k in SHAPES)
    was, now = as_bool(original), as_bool(out)
    if keep >= masks.kept(original):
        assert all(np.all(was[k] <= now[k]) for k in SHAPES), "growing must keep every kept position"
    if keep <= masks.kept(original):
        assert all(np.all(now[k] <= was[k]) for k in SHAPES), "shrinking must keep only kept positions"


def test_retarget_follows_priority_over_all_layers_together():
    original = random_masks(7, density=0.4)
    priority = random_priority(8)
    was = as_bool(original)
    # Shrinking: among originally kept positions, every kept one outranks every dropped one.
    out = as_bool(masks.retarget(original, masks.kept(original) // 2, priority))
    chosen = np.concatenate([priority[k][out[k]] for k in SHAPES])
    dropped = np.concatenate([priority[k][was[k] & ~out[k]] for k in SHAPES])
    assert chosen.min() > dropped.max()
    # Growing: among originally pruned positions, every added one outranks every one left out.
    out = as_bool(masks.retarget(original, masks.kept(original) + 1000, priority))
    added = np.concatenate([priority[k][out[k] & ~was[k]] for k in SHAPES])
    left = np.concatenate([priority[k][~out[k]] for k in SHAPES])
    assert added.size == 1000 and added.min() > left.max()
    # Not per layer: a layer with high priority takes more than its share.
    biased = {k: v + (10.0 if k == "conv2" else 0.0) for k, v in priority.items()}
    empty = {k: np.zeros(s, np.float32) for k, s in SHAPES.items()}
    out = masks.retarget(empty, int(np.prod(SHAPES["conv2"])), biased)
    assert masks.kept({"conv2": out["conv2"]}) == np.prod(SHAPES["conv2"])


def test_retarget_ties_go_to_key_order_then_position():
    mask_set = {"b": np.zeros((2, 2)), "a": np.zeros(3)}
    flat = {"b": np.ones((2, 2)), "a": np.ones(3)}
    out = masks.retarget(mask_set, 5, flat)
    np.testing.assert_array_equal(out["b"], np.ones((2, 2)))  # "b" comes first in the mask set
    np.testing.assert_array_equal(out["a"], [1, 0, 0])
    assert all(np.array_equal(masks.retarget(mask_set, 5, flat)[k], out[k]) for k in out)


def test_retarget_brings_a_union_and_an_intersection_to_the_same_count():
    """The use case: siblings' union has too many kept, their intersection too few; both re-targeted."""
    sets = [random_masks(seed, density=0.3) for seed in (70, 71, 72)]
    union, inter = masks.union(sets), masks.intersection(sets)
    priority = {k: np.arange(v.size, dtype=float)[::-1].reshape(v.shape) for k, v in union.items()}  # earlier first
    target = masks.kept(sets[0])
    trimmed, grown = masks.retarget(union, target, priority), masks.retarget(inter, target, priority)
    assert masks.kept(trimmed) == masks.kept(grown) == target
    for key in SHAPES:
        assert np.all(trimmed[key] <= union[key]) and np.all(grown[key] >= inter[key])
    per_layer = masks.retarget_per_layer(union, {"conv1": 5, "conv2": 0, "dense": 5120}, priority)
    # Within conv1 the 5 kept are union positions with the highest priority: the first ones.
    np.testing.assert_array_equal(np.flatnonzero(per_layer["conv1"]), np.flatnonzero(union["conv1"])[:5])


def test_retarget_refuses_keep_outside_the_size():
    original = random_masks(0)
    for keep in (-1, masks.size(original) + 1):
        with pytest.raises(TicketsError) as error:
            masks.retarget(original, keep, random_priority(1))
        assert_one_line_error(error, str(keep))


def test_retarget_per_layer_keeps_exact_counts_per_layer():
    original = random_masks(9, density=0.3)
    priority = random_priority(10)
    counts = {"conv1": 0, "conv2": 3000, "dense": 512 * 10}
    out = masks.retarget_per_layer(original, counts, priority)
    assert list(out) == list(original)
    for key, count in counts.items():
        assert int(np.count_nonzero(out[key])) == count
        single = masks.retarget({key: original[key]}, count, {key: priority[key]})
        np.testing.assert_array_equal(out[key], single[key])
    was, now = as_bool(original), as_bool(out)
    assert np.all(was["conv2"] <= now["conv2"])  # 3000 > 0.3 * 4608 kept: grown
    with pytest.raises(TicketsError) as missing:
        masks.retarget_per_layer(original, {"conv1": 1}, priority)
    assert_one_line_error(missing, "conv2")
    with pytest.raises(TicketsError) as too_many:
        masks.retarget_per_layer(original, dict(counts, dense=5121), priority)
    assert_one_line_error(too_many, "dense", "5121")


# ---- searching a member density ----------------------------------------------------------------------

def siblings_union(seeds):
    """make(d): the union of seeded random top-k masks, each member at density d per layer."""
    rng_scores = [random_priority(seed) for seed in seeds]

    def make(d):
        members = []
        for scores in rng_scores:
            keys = list(scores)
            counts = [round(d * scores[k].size) for k in keys]
            members.append(dict(zip(keys, masks.top_k([scores[k] for k in keys], counts))))
        return masks.union(members)

    return make


def test_search_density_hits_a_union_target_within_tolerance():
    make = siblings_union([11, 12, 13])
    total = sum(int(np.prod(s)) for s in SHAPES.values())
    keep = round(0.2 * total)  # 80% sparsity for the union
    d, combined = masks.search_density(make, keep, tolerance=20)
    assert 0 <= masks.kept(combined) - keep <= 20
    # Three independent members at density d: union density 1 - (1 - d)^3 is about 0.2.
    assert d == pytest.approx(1 - 0.8 ** (1 / 3), abs=0.01)
    assert masks.kept(make(d)) == masks.kept(combined)
    trimmed = masks.retarget(combined, keep, random_priority(14))
    assert masks.kept(trimmed) == keep
    assert all(np.all(trimmed[k] <= combined[k]) for k in SHAPES)


def test_search_density_returns_the_smallest_density_and_counts_are_monotone():
    make = siblings_union([21, 22, 23])
    grid = np.linspace(0, 1, 21)
    counts = [masks.kept(make(d)) for d in grid]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == masks.size(make(1.0))
    searched = []
    for keep in range(7000, 7012):
        d, combined = masks.search_density(make, keep)
        assert masks.kept(combined) >= keep
        if masks.kept(combined) > keep:  # no early stop: d is the smallest density to 2**-40
            assert masks.kept(make(d - 1e-9)) < keep, "a smaller density would also have reached the target"
        searched.append(masks.kept(combined) == keep)
    assert any(searched) and not all(searched)  # both an exact hit (early stop) and a full bisection
    with pytest.raises(TicketsError) as unreachable:
        masks.search_density(lambda d: {"a": np.zeros(4)}, 1)
    assert_one_line_error(unreachable, "density 1")


# ---- overlap -----------------------------------------------------------------------------------------

def test_overlap_of_a_mask_with_itself_is_one():
    a = random_masks(30, density=0.2)
    result = masks.overlap(a, a)
    assert result["iou"] == 1.0
    assert result["intersection"] == result["union"] == masks.kept(a)
    assert set(result["layers"]) == set(SHAPES)
    for key, layer in result["layers"].items():
        assert layer == {"intersection": int(a[key].sum()), "union": int(a[key].sum()), "iou": 1.0}
    empty = {"x": np.zeros(5)}
    assert masks.overlap(empty, empty)["iou"] == 1.0


def test_overlap_counts_are_exact_on_a_small_case():
    a = {"l": np.array([1, 1, 0, 0, 1])}
    b = {"l": np.array([0, 1, 1, 0, 1])}
    result = masks.overlap(a, b)
    assert result["layers"]["l"] == {"intersection": 2, "union": 4, "iou": 0.5}
    assert (result["intersection"], result["union"], result["iou"]) == (2, 4, 0.5)


def test_independent_random_masks_overlap_at_chance():
    shapes = {"big": (400, 500), "mid": (300, 300), "small": (50, 200)}
    a = {k: v for k, v in zip(shapes, masks.top_k(list(random_priority(40, shapes).values()),
                                                   [20000, 45000, 9000]))}
    b = {k: v for k, v in zip(shapes, masks.top_k(list(random_priority(41, shapes).values()),
                                                   [100000, 9000, 1000]))}
    actual, chance = masks.overlap(a, b), masks.chance_overlap(a, b)
    assert abs(actual["iou"] - chance["iou"]) < 0.03
    same = {k: masks.top_k([v], [round(0.3 * v.size)])[0] for k, v in random_priority(42, shapes).items()}
    other = {k: masks.top_k([v], [round(0.3 * v.size)])[0] for k, v in random_priority(43, shapes).items()}
    assert masks.chance_overlap(same, other)["iou"] == pytest.approx(0.09 / 0.51, abs=0.001)
    assert masks.overlap(same, other)["iou"] == pytest.approx(0.09 / 0.51, abs=0.03)
    for key in shapes:
        assert abs(actual["layers"][key]["iou"] - chance["layers"][key]["iou"]) < 0.03


def test_chance_overlap_sums_layers_not_one_global_density():
    # Both masks keep all of a small layer and 10% of a big one: global density 0.19 for each.
    a = {"small": np.ones(100), "big": masks.top_k([random_priority(50, {"x": (900,)})["x"]], [90])[0]}
    b = {"small": np.ones(100), "big": masks.top_k([random_priority(51, {"x": (900,)})["x"]], [90])[0]}
    chance = masks.chance_overlap(a, b)
    per_layer_inter = 100 * 1.0 * 1.0 + 900 * 0.1 * 0.1
    per_layer_union = 100 * 1.0 + 900 * (0.1 + 0.1 - 0.01)
    assert chance["intersection"] == pytest.approx(per_layer_inter)
    assert chance["union"] == pytest.approx(per_layer_union)
    assert chance["iou"] == pytest.approx(per_layer_inter / per_layer_union)
    assert chance["layers"]["small"] == pytest.approx({"intersection": 100.0, "union": 100.0, "iou": 1.0})
    assert chance["layers"]["big"]["intersection"] == pytest.approx(9.0)
    n, d1, d2 = masks.size(a), masks.density(a), masks.density(b)
    naive_inter = n * d1 * d2
    naive_iou = naive_inter / (n * (d1 + d2 - d1 * d2))
    assert naive_inter == pytest.approx(36.1)
    assert chance["intersection"] > 2.5 * naive_inter
    assert chance["iou"] > 3 * naive_iou
    assert all(isinstance(v, float) for v in (chance["intersection"], chance["union"], chance["iou"]))


def test_chance_overlap_with_an_empty_layer_or_mask():
    a = {"none": np.zeros((0,)), "w": np.array([1.0, 0.0])}
    assert masks.chance_overlap(a, a)["layers"]["none"] == {"intersection": 0.0, "union": 0.0, "iou": 1.0}
    zero = {"w": np.zeros(4)}
    assert masks.chance_overlap(zero, zero)["iou"] == 1.0


def test_overlap_matrix_is_symmetric_with_a_unit_diagonal():
    named = {"snip": random_masks(60, 0.1), "grasp": random_masks(61, 0.3), "magnitude": random_masks(62, 0.5)}
    named["near_snip"] = masks.retarget(named["snip"], masks.kept(named["snip"]) + 50, random_priority(63))
    result = masks.overlap_matrix(named)
    assert result["names"] == list(named)
    k = len(named)
    for table in ("iou", "chance", "relative"):
        assert len(result[table]) == k and all(len(row) == k for row in result[table])
        for i in range(k):
            for j in range(k):
                assert result[table][i][j] == pytest.approx(result[table][j][i])
    for i in range(k):
        assert result["iou"][i][i] == 1.0
    for i in range(k):
        for j in range(k):
            assert result["relative"][i][j] == pytest.approx(result["iou"][i][j] / result["chance"][i][j])
    assert result["relative"][0][3] > 5  # a mask and its near copy overlap far above chance
    assert result["relative"][0][1] == pytest.approx(1.0, abs=0.2)  # independent masks: about chance
    empty = masks.overlap_matrix({"a": {"w": np.zeros(3)}, "b": {"w": np.zeros(3)}, "c": {"w": np.ones(3)}})
    assert empty["chance"][0][2] == 0.0 and empty["iou"][0][2] == 0.0 and empty["relative"][0][2] == 1.0
    assert all(np.isfinite(v) for row in empty["relative"] for v in row)


# ---- purity ------------------------------------------------------------------------------------------

def test_importing_the_mask_module_does_not_import_tensorflow():
    code = "import sys; import tf_tickets.masks; assert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_kth_highest_skips_the_minimum_ties_only_when_it_may():
    rng = np.random.default_rng(1)
    for values in (rng.random(1000), np.where(rng.random(1000) < 0.7, 0.0, rng.random(1000)),
                   -rng.random(1000), np.ones(50), np.array([5.0])):
        for k in sorted({1, min(2, len(values)), len(values) // 3 + 1, len(values)}):
            assert masks.kth_highest(values.copy(), k) == np.sort(values)[::-1][k - 1], (values[:5], k)


def test_kth_highest_of_several_pieces_is_that_of_their_values_together_and_changes_none():
    rng = np.random.default_rng(2)
    pieces = [np.where(rng.random(300) < 0.95, rng.random(300), 0.0),  # few ties at the minimum: kept whole
              np.where(rng.random(500) < 0.2, rng.random(500), 0.0),  # many: copied out
              rng.random((7, 9)).astype(np.float32).astype(np.float64), np.zeros(40)]
    before = [p.copy() for p in pieces]
    together = np.sort(np.concatenate([p.ravel() for p in pieces]))[::-1]
    for k in (1, 17, 250, 340, 370, 600, together.size):
        assert masks.kth_highest_of(pieces, k) == together[k - 1], k
    for p, b in zip(pieces, before):
        np.testing.assert_array_equal(p, b)


@pytest.mark.parametrize("kind", ["normal", "structured", "periodic", "ties", "float64"])
def test_kth_highest_of_many_values_near_a_sample_is_the_exact_one(kind):
    """From `SAMPLED_FROM` values on, the k-th highest is found between bounds set by a strided sample: it must
    be exactly the k-th highest, whatever the values (sorted runs that defeat a strided sample, ties), at
    every k, including where the bounds miss and the full partition takes over."""
    rng = np.random.default_rng(3)
    n = masks.SAMPLED_FROM + 12345
    values = {"normal": rng.normal(size=n).astype(np.float32),
              "structured": np.sort(rng.normal(size=n)).astype(np.float32),  # each strided sample value a step
              "periodic": np.where(np.arange(n) % 16 == 0, 100.0, rng.normal(size=n)),  # what a stride of 16 sees
              "ties": rng.integers(0, 60, n).astype(np.float32),
              "float64": rng.standard_cauchy(n)}[kind]
    pieces = [values[:1000].reshape(10, 100), values[1000:500_000], values[500_000:]]
    together = np.sort(values)[::-1]
    for k in (1, 2, 100, n // 10, n // 2, n - 100, n):
        assert masks.kth_highest_of(pieces, k) == together[k - 1], (kind, k)
    assert np.array_equal(np.concatenate([p.ravel() for p in pieces]), values)  # the pieces are left as they were
