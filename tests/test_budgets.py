"""Budgets: the registry and argument errors, global (exact totals, brute-force agreement, ties, speed),
layerwise, erk, custom, and the package's independence from TensorFlow."""
import pathlib
import subprocess
import sys
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from tf_tickets.budgets import BUDGETS, Budget, LayerInfo, make, names
from tf_tickets.errors import TicketsError

REPO = pathlib.Path(__file__).resolve().parents[1]

SMALL = [LayerInfo("a", (3, 3, 3, 8), "conv"), LayerInfo("b", (3, 3, 8, 16), "conv"),
         LayerInfo("c", (3, 3, 16, 16), "conv"), LayerInfo("d", (1, 1, 16, 32), "conv"),
         LayerInfo("fc", (32, 10), "dense")]
N_SMALL = 4504


def vgg19_layers():
    chans = [3, 64, 64, 128, 128] + [256] * 4 + [512] * 8
    convs = [LayerInfo(f"conv{i}", (3, 3, a, b), "conv") for i, (a, b) in enumerate(zip(chans, chans[1:]))]
    return convs + [LayerInfo("classifier", (512, 10), "dense")]


def brute_force(scores, keep):
    """Full sort: highest score first, earlier flat position first among equals."""
    flat = np.concatenate([s.ravel() for s in scores])
    owner = np.concatenate([np.full(s.size, i) for i, s in enumerate(scores)])
    order = np.lexsort((np.arange(flat.size), -flat.astype(np.float64)))
    return np.bincount(owner[order[:keep]], minlength=len(scores)).tolist()


def random_scores(layers, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(l.shape).astype(dtype) for l in layers]


# ---- registry, arguments -------------------------------------------------------------------------

def test_names_and_make():
    assert names() == ["custom", "erk", "global", "layerwise", "smart_ratio"] == BUDGETS.names()
    assert all(isinstance(make(n, **({"densities": {"a": 0.5}} if n == "custom" else {})), Budget)
               for n in names())
    with pytest.raises(TicketsError, match="unknown budget 'magic'; known: custom, erk, global"):
        make("magic")
    with pytest.raises(TicketsError, match="unknown option 'density' for budget 'layerwise'; known: none"):
        make("layerwise", density=0.1)
    with pytest.raises(TicketsError, match="unknown option 'keep_dense'.*keep_classifier_dense"):
        make("global", keep_dense=True)
    with pytest.raises(TicketsError, match="keep_classifier_dense"):
        make("global", keep_classifier_dense="yes")


@pytest.mark.parametrize("density", [0.0, -0.5, 1.5, 1.0000001])
def test_sparsity_outside_range(density):
    with pytest.raises(TicketsError, match=r"sparsity must be in \[0, 1\)"):
        make("layerwise").keep_counts(SMALL, density)


@pytest.mark.parametrize("density", [float("nan"), True, "0.1", None])
def test_density_not_a_number(density):
    with pytest.raises(TicketsError, match="density"):
        make("layerwise").keep_counts(SMALL, density)


def test_layer_info():
    layer = LayerInfo("k", [3, 3, 16, 32], "conv")
    assert layer.shape == (3, 3, 16, 32) and layer.size == 4608
    with pytest.raises(FrozenInstanceError):
        layer.name = "other"
    for shape in [(), (0, 3), (2.5, 3), "ab"]:
        with pytest.raises(TicketsError, match="shape"):
            LayerInfo("k", shape, "dense")
    with pytest.raises(TicketsError, match="kind"):
        LayerInfo("k", (3, 3), "lstm")
    with pytest.raises(TicketsError, match="at least one"):
        make("layerwise").keep_counts([], 0.5)


@pytest.mark.parametrize("name,options", [("global", {}), ("global", {"keep_classifier_dense": True}),
                                          ("layerwise", {}), ("smart_ratio", {}), ("erk", {}),
                                          ("custom", {"densities": {"b": 0.3}})])
@pytest.mark.parametrize("density", [0.1, 0.5, 1.0])
def test_counts_are_ints_within_sizes(name, options, density):
    got = make(name, **options).keep_counts(SMALL, density, scores=random_scores(SMALL))
    assert len(got) == len(SMALL)
    assert all(type(c) is int and 0 <= c <= l.size for c, l in zip(got, SMALL))


# ---- global --------------------------------------------------------------------------------------

@pytest.mark.parametrize("density", [0.001, 0.05, 0.1, 0.37, 0.9, 1.0])
def test_global_matches_full_sort(density):
    scores = random_scores(SMALL, seed=1)
    keep = int(N_SMALL * density)
    got = make("global").keep_counts(SMALL, density, scores=scores)
    assert sum(got) == keep
    assert got == brute_force(scores, keep)


@pytest.mark.parametrize("density", [0.1, 0.33, 0.5, 0.8])
def test_global_ties_are_deterministic(density):
    rng = np.random.default_rng(2)
    scores = [rng.integers(0, 4, l.shape) for l in SMALL]  # heavy ties at every threshold
    keep = int(N_SMALL * density)
    first = make("global").keep_counts(SMALL, density, scores=scores)
    assert sum(first) == keep and first == brute_force(scores, keep)
    assert make("global").keep_counts(SMALL, density, scores=scores) == first
    equal = [np.ones(l.shape, np.float32) for l in SMALL]  # all tied: earlier layers first
    assert make("global").keep_counts(SMALL, 0.1, scores=equal) == [216, 234, 0, 0, 0]


def test_global_mixed_dtypes_and_flat_scores():
    scores = random_scores(SMALL, seed=3)
    mixed = [s.astype(np.float64).ravel() if i % 2 else s for i, s in enumerate(scores)]
    assert make("global").keep_counts(SMALL, 0.2, scores=mixed) == brute_force(scores, int(N_SMALL * 0.2))


def test_global_score_errors():
    budget = make("global")
    with pytest.raises(TicketsError, match="the global budget ranks scores across layers: give scores"):
        budget.keep_counts(SMALL, 0.1)
    scores = random_scores(SMALL)
    with pytest.raises(TicketsError, match="one array per layer"):
        budget.keep_counts(SMALL, 0.1, scores=scores[:-1])
    with pytest.raises(TicketsError, match="layer 'b'"):
        budget.keep_counts(SMALL, 0.1, scores=[scores[0], scores[0]] + scores[2:])
    scores[2][0, 0, 0, 0] = np.nan
    with pytest.raises(TicketsError, match="NaN"):
        budget.keep_counts(SMALL, 0.1, scores=scores)


@pytest.mark.parametrize("density", [0.1, 0.5])
def test_global_keep_classifier_dense(density):
    scores = random_scores(SMALL, seed=4)
    keep = int(N_SMALL * density)
    got = make("global", keep_classifier_dense=True).keep_counts(SMALL, density, scores=scores)
    assert got[-1] == 320 and sum(got) == keep
    assert got[:-1] == brute_force(scores[:-1], keep - 320)
    with pytest.raises(TicketsError, match="fewer than the dense classifier"):
        make("global", keep_classifier_dense=True).keep_counts(SMALL, 0.05, scores=scores)
    with pytest.raises(TicketsError, match="Dense classifier"):
        make("global", keep_classifier_dense=True).keep_counts(SMALL[:-1], 0.5, scores=scores[:-1])


def test_global_vgg19_counts():
    """20 M scores in one threshold (its speed is measured in benchmarks/prune_cost.py, not asserted here)."""
    layers = vgg19_layers()
    rng = np.random.default_rng(5)
    scores = [rng.random(l.shape, dtype=np.float32) for l in layers]
    got = make("global").keep_counts(layers, 0.1, scores=scores)
    assert sum(got) == 2_002_400
    kept = make("global", keep_classifier_dense=True).keep_counts(layers, 0.02, scores=scores)
    assert kept[-1] == 5120 and sum(kept) == int(20_024_000 * 0.02)


# ---- layerwise, erk, custom ------------------------------------------------------------------------

@pytest.mark.parametrize("density", [0.05, 0.3, 1.0])
def test_layerwise(density):
    budget = make("layerwise")
    assert budget.keep_counts(SMALL, density) == [int(density * l.size) for l in SMALL]
    assert budget.densities(SMALL, density) == [density] * 5


def test_erk_hand_worked():
    # raw 20/100 = 0.2 and 200/10000 = 0.02; target 5050. eps = 5050/(0.2*100 + 0.02*10000) = 22.95 puts
    # the small layer at 4.59 > 1: dense; re-solved eps = (5050 - 100)/200 = 24.75, big layer 0.495.
    layers = [LayerInfo("small", (10, 10), "dense"), LayerInfo("big", (100, 100), "dense")]
    assert make("erk").keep_counts(layers, 0.5) == [100, 4950]
    assert make("erk").densities(layers, 0.5) == pytest.approx([1.0, 0.495])


@pytest.mark.parametrize("density", [0.02, 0.1, 0.5])
def test_erk_vgg19(density):
    layers = vgg19_layers()
    dens = make("erk").densities(layers, density)
    got = make("erk").keep_counts(layers, density)
    goal = int(20_024_000 * density)
    assert goal - len(layers) < sum(got) <= goal
    raw = [sum(l.shape) / l.size for l in layers]
    sparse = [(d, r) for d, r in zip(dens, raw) if d < 1]
    eps = sparse[0][0] / sparse[0][1]
    assert all(d / r == pytest.approx(eps) for d, r in sparse)  # proportional to the ERK score
    assert dens[0] == 1.0  # the 3x3x3x64 stem would exceed 1
    assert all(d == 1.0 for d, r in zip(dens, raw) if eps * r >= 1)  # exactly the ones that would exceed
    assert all(d <= 1 for d in dens)
    assert make("erk").keep_counts(layers, 1.0) == [l.size for l in layers]


def test_custom():
    budget = make("custom", densities={"b": 0.5, "fc": 0.25, "d": 0})
    assert budget.keep_counts(SMALL, 0.1) == [216, 576, 2304, 0, 80]
    assert budget.keep_counts(SMALL, 0.9) == budget.keep_counts(SMALL, 0.1)  # the table decides
    assert budget.densities(SMALL, 0.5) == [1.0, 0.5, 1.0, 0.0, 0.25]
    with pytest.raises(TicketsError, match="unknown layer.*conv9.*the model's layers: a, b, c, d, fc"):
        make("custom", densities={"conv9": 0.5}).keep_counts(SMALL, 0.5)
    for bad in [None, {}, {"a": 1.5}, {"a": "half"}, [("a", 0.5)]]:
        with pytest.raises(TicketsError, match="custom"):
            make("custom", densities=bad)


# ---- purity ----------------------------------------------------------------------------------------

def test_budgets_and_masks_import_no_tensorflow():
    """`import tf_tickets.budgets` (and the mask algebra) through the package itself, as a user does, pulls
    in neither TensorFlow nor the training, pruning, criteria or model code."""
    code = ("import sys\n"
            "import tf_tickets.budgets, tf_tickets.masks, tf_tickets\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tf_keras', 'keras')\n"
            "       or m.startswith(('tf_tickets.training', 'tf_tickets.pruning', 'tf_tickets.criteria',\n"
            "                        'tf_tickets.backend', 'tf_tickets.models'))]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


# ---- min_density: a floor per layer, the total unchanged ---------------------------------------------

@pytest.mark.parametrize("name", ["global", "layerwise", "erk", "smart_ratio"])
def test_min_density_floors_every_layer_and_keeps_the_total(name):
    layers = vgg19_layers()
    rng = np.random.default_rng(0)
    # Scores that would leave the early layers empty under one global threshold.
    scores = [rng.random(l.shape, dtype=np.float32) * (1e-3 if i < 4 else 1) for i, l in enumerate(layers)]
    plain = make(name).keep_counts(layers, 0.02, scores=scores, residual=False)
    floored = make(name, min_density=0.01).keep_counts(layers, 0.02, scores=scores, residual=False)
    assert sum(floored) == sum(plain)
    assert all(c >= np.ceil(0.01 * l.size) for c, l in zip(floored, layers))
    if name == "global":
        assert min(c / l.size for c, l in zip(plain, layers)) < 0.01  # the floor changed something
    with pytest.raises(TicketsError, match="min_density 0.5 keeps"):
        make(name, min_density=0.5).keep_counts(layers, 0.02, scores=scores, residual=False)
    with pytest.raises(TicketsError, match="min_density must be"):
        make(name, min_density=1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", [0.0001, 0.1, 0.5, 0.999, 1.0])
def test_global_masks_from_one_threshold_equal_per_layer_top_k_of_its_counts(dtype, density):
    from tf_tickets.masks import top_k

    rng = np.random.default_rng(3)
    layers = [LayerInfo("a", (3, 3, 4, 8), "conv"), LayerInfo("b", (64, 10), "dense"), LayerInfo("c", (10, 10), "dense")]
    # Rounded scores: many ties, across layers and at the threshold; zeros as pruned weights have.
    scores = [np.round(rng.random(layer.shape) * 20).astype(dtype) for layer in layers]
    scores[1][:5] = 0
    budget = make("global")
    found = budget.masks(layers, density, scores)
    expected = top_k(scores, budget.keep_counts(layers, density, scores))
    for f, e in zip(found, expected):
        assert f.dtype == np.float32 and f.shape == e.shape
        np.testing.assert_array_equal(f, e)


@pytest.mark.parametrize("name, options", [("global", {}), ("global", {"keep_classifier_dense": True}),
                                           ("layerwise", {}), ("erk", {}), ("smart_ratio", {})])
def test_kept_is_the_masks_as_booleans(name, options):
    rng = np.random.default_rng(5)
    layers = [LayerInfo("a", (3, 3, 4, 8), "conv"), LayerInfo("b", (3, 3, 8, 8), "conv"),
              LayerInfo("c", (64, 10), "dense")]
    scores = [np.round(rng.random(layer.shape) * 20).astype(np.float32) for layer in layers]
    budget = make(name, **options)
    for density in (0.45, 0.7, 1.0):
        kept = budget.kept(layers, density, scores, residual=False)
        masks = budget.masks(layers, density, scores, residual=False)
        for k, m, layer in zip(kept, masks, layers):
            assert k.dtype == bool and k.shape == layer.shape and m.dtype == np.float32
            np.testing.assert_array_equal(k, m > 0)
