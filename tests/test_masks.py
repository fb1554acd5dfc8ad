"""The pure-NumPy mask algebra: top-k, files, union/intersection, re-targeting, overlap against chance."""
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO
from tf_tickets import masks
from tf_tickets.errors import TicketsError


def random_set(seed, sizes=(4000, 900, 120), density=0.2):
    rng = np.random.default_rng(seed)
    return {f"l{i}": (rng.random(n) < density).astype(np.float32) for i, n in enumerate(sizes)}


def test_top_k_keeps_exact_counts_and_earlier_positions_win_ties():
    got = masks.top_k([np.array([3.0, 1.0, 3.0, 2.0]), np.ones((2, 2))], [2, 3])
    np.testing.assert_array_equal(got[0], [1, 0, 1, 0])
    np.testing.assert_array_equal(got[1], [[1, 1], [1, 0]])
    with pytest.raises(ValueError):
        masks.top_k([np.ones(3)], [4])


def test_files_round_trip_and_refuse_missing_or_pickled(tmp_path):
    original = random_set(0)
    masks.save(original, str(tmp_path / "m.npz"))
    loaded = masks.load(str(tmp_path / "m.npz"))
    assert sorted(loaded) == sorted(original) and all(np.array_equal(loaded[k], original[k]) for k in original)
    with pytest.raises(TicketsError, match="does not exist"):
        masks.load(str(tmp_path / "none.npz"))
    np.savez(tmp_path / "evil.npz", a=np.array([object()], dtype=object))
    with pytest.raises(TicketsError, match="cannot read mask file"):
        masks.load(str(tmp_path / "evil.npz"))


def test_union_contains_each_member_which_contains_the_intersection():
    sets = [random_set(s) for s in range(3)]
    union, inter, votes = masks.union(sets), masks.intersection(sets), masks.votes(sets)
    for key in union:
        assert np.array_equal(votes[key], sum(s[key] for s in sets))
        for member in sets:
            assert np.all(union[key] >= member[key]) and np.all(member[key] >= inter[key])
    assert masks.kept(inter) < masks.kept(sets[0]) < masks.kept(union)


def test_retarget_hits_the_count_exactly_and_follows_priority():
    sets = [random_set(s) for s in range(3)]
    union, inter = masks.union(sets), masks.intersection(sets)
    priority = {k: np.arange(v.size, dtype=float)[::-1] for k, v in union.items()}  # earlier positions first
    target = masks.kept(sets[0])
    trimmed = masks.retarget(union, target, priority)
    grown = masks.retarget(inter, target, priority)
    assert masks.kept(trimmed) == masks.kept(grown) == target
    for key in union:
        assert np.all(trimmed[key] <= union[key])  # trimming keeps only union positions
        assert np.all(grown[key] >= inter[key])  # growing keeps every intersection position
    per_layer = masks.retarget_per_layer(union, {"l0": 5, "l1": 0, "l2": 120}, priority)
    assert [int(per_layer[k].sum()) for k in ("l0", "l1", "l2")] == [5, 0, 120]
    # Within l0 the 5 kept are union positions with the highest priority, i.e. the first ones.
    np.testing.assert_array_equal(np.flatnonzero(per_layer["l0"]), np.flatnonzero(union["l0"])[:5])
    with pytest.raises(TicketsError, match="cannot keep"):
        masks.retarget(union, masks.size(union) + 1, priority)


def test_search_density_finds_the_member_density_for_a_union():
    scores = [{k: np.random.default_rng(s).random(v.size) for k, v in random_set(0).items()} for s in range(3)]

    def union_at(density):
        members = [{k: masks.top_k([v], [int(density * v.size)])[0] for k, v in s.items()} for s in scores]
        return masks.union(members)

    keep = int(0.3 * masks.size(union_at(1.0)))
    density, combined = masks.search_density(union_at, keep, tolerance=10)
    assert keep <= masks.kept(combined) <= keep + 10
    assert 0 < density < 0.3  # three members' union needs less than 30% of each
    assert masks.kept(union_at(density * 0.9)) < keep  # smaller densities fall short


def test_overlap_with_itself_is_one_and_random_masks_overlap_at_chance():
    a, b = random_set(1, sizes=(200_000, 50_000), density=0.3), random_set(2, sizes=(200_000, 50_000), density=0.3)
    assert masks.overlap(a, a)["iou"] == 1.0
    got, chance = masks.overlap(a, b), masks.chance_overlap(a, b)
    assert got["iou"] == pytest.approx(chance["iou"], abs=0.03)
    assert chance["iou"] == pytest.approx(0.09 / 0.51, abs=0.01)


def test_chance_is_summed_per_layer_not_one_global_product():
    big, small = np.zeros(1000, np.float32), np.ones(100, np.float32)
    big[:10] = 1  # 1% of a big layer, all of a small one
    a = {"big": big, "small": small}
    chance = masks.chance_overlap(a, a)
    per_layer = (1000 * 0.01 ** 2 + 100 * 1.0) / (1000 * (0.02 - 0.01 ** 2) + 100 * 1.0)
    density = masks.density(a)
    global_product = density ** 2 / (2 * density - density ** 2)
    assert chance["iou"] == pytest.approx(per_layer)
    assert chance["iou"] > 3 * global_product  # the single-density estimate would call this "far above chance"


def test_overlap_matrix_is_symmetric_with_a_unit_diagonal():
    named = {f"s{i}": random_set(i) for i in range(3)}
    matrix = masks.overlap_matrix(named)
    iou = np.array(matrix["iou"])
    assert matrix["names"] == ["s0", "s1", "s2"]
    np.testing.assert_allclose(np.diag(iou), 1.0)
    np.testing.assert_allclose(iou, iou.T)
    assert np.all(np.array(matrix["relative"]) > 0)


def test_incompatible_mask_sets_are_one_line_errors():
    with pytest.raises(TicketsError, match="other layers"):
        masks.union([random_set(0), {"l0": np.ones(4000)}])
    with pytest.raises(TicketsError, match="has shape"):
        masks.overlap(random_set(0), random_set(1, sizes=(4000, 900, 121)))
    with pytest.raises(TicketsError, match="no masks"):
        masks.union([])


def test_mask_module_imports_no_tensorflow():
    code = "import sys, tf_tickets.masks; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=120).returncode == 0
