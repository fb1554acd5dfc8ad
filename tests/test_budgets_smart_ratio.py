"""smart_ratio against an independent transcription of Su et al.'s reference loop, hand-worked examples
(residual, VGG-style, overflow), totals, the classifier's fixed share, ablation orderings, VGG19 timing."""
import time

import pytest

from tf_tickets.budgets import LayerInfo, make
from tf_tickets.errors import TicketsError

# A made-up net: four convs and a Dense classifier. N = 216 + 1152 + 2304 + 512 + 320 = 4504.
SMALL = [LayerInfo("a", (3, 3, 3, 8), "conv"), LayerInfo("b", (3, 3, 8, 16), "conv"),
         LayerInfo("c", (3, 3, 16, 16), "conv"), LayerInfo("d", (1, 1, 16, 32), "conv"),
         LayerInfo("fc", (32, 10), "dense")]
N_SMALL = 4504

VGG19_WIDTHS = [64, 64, 128, 128] + [256] * 4 + [512] * 8


def vgg19_layers():
    """VGG19(-BN) on CIFAR-10: sixteen 3x3 convs, then Dense 512x10; 20,024,000 kernel weights."""
    chans = [3] + VGG19_WIDTHS
    convs = [LayerInfo(f"conv{i}", (3, 3, a, b), "conv") for i, (a, b) in enumerate(zip(chans, chans[1:]))]
    return convs + [LayerInfo("classifier", (512, 10), "dense")]


def reference(sizes, density, vgg, keep=0.3, schedule="quadratic", linear_last=True):
    """Su et al.'s SmartRatio, transcribed loop by loop (scores filled from the back, as Ratio[n-k] is).
    Returns (counts, k)."""
    n = len(sizes)
    ratio = [0.0] * n
    for i in range(n):
        k = i + 1
        ratio[n - k] = {"quadratic": k ** 2 + k, "linear": k, "cubic": k ** 3,
                        "ascending": (n - k + 1) ** 2 + (n - k + 1)}[schedule]
    linear = [linear_last and i == n - 1 for i in range(n)]
    test = total_num = linear_num = 0
    for i, size in enumerate(sizes):
        if linear[i]:
            linear_num += size
        else:
            test += int(size * ratio[i] / (i + 1) ** 2) if vgg else int(size * ratio[i])
        total_num += size
    goal = int(total_num * density) - int(linear_num * keep)
    k = goal / test
    for i in range(n):
        if not linear[i]:
            ratio[i] = ratio[i] * k / (i + 1) ** 2 if vgg else ratio[i] * k
    extra = 0
    for i, size in enumerate(sizes):
        if not linear[i]:
            if ratio[i] >= 1:
                extra += int((ratio[i] - 1) * size)
                ratio[i] = 1
            else:
                rest = int((1 - ratio[i]) * size)
                if rest >= extra:
                    ratio[i] = ratio[i] + extra / size
                    extra = 0
                else:
                    extra -= rest
                    ratio[i] = 1
        if extra == 0:
            break
    counts = []
    for i, size in enumerate(sizes):
        if linear[i]:
            counts.append(int(keep * size))
        else:
            counts.append(size if ratio[i] >= 1 else int(ratio[i] * size))
    return counts, k


def counts(layers, density, residual=True, **options):
    return make("smart_ratio", **options).keep_counts(layers, density, residual=residual)


def test_hand_worked_residual():
    # G = int(4504*0.1) - int(320*0.3) = 450 - 96 = 354; scores (L=5) 30, 20, 12, 6;
    # sum int(N_l*s_l) = 6480 + 23040 + 27648 + 3072 = 60240; k = 354/60240;
    # 216*30k = 38.08, 1152*20k = 135.39, 2304*12k = 162.47, 512*6k = 18.05.
    assert counts(SMALL, 0.1) == [38, 135, 162, 18, 96]


def test_hand_worked_residual_overflow():
    # G = 2252 - 96 = 2156, k = 2156/60240: layer a at 30k = 1.0737 -> 1, carries int(0.0737*216) = 15;
    # layer b at 20k = 0.7158 has room int(0.2842*1152) = 327 >= 15, so 1152*(20k + 15/1152) = 839.6.
    assert counts(SMALL, 0.5) == [216, 839, 989, 109, 96]


def test_hand_worked_vgg_style_with_partial_absorb():
    # Scores divided by l^2: 30, 20/4, 12/9, 6/16; sum int(N_l*s_l/l^2) = 6480 + 5760 + 3072 + 192 = 15504;
    # k = 2156/15504. a: 30k = 4.172 -> 1, carries int(3.172*216) = 685; b: 5k = 0.695, room 351 < 685,
    # -> 1, carry 334; c: 12k/9 = 0.1854, room 1876 absorbs 334: 2304*0.1854 + 334 = 761.2; d: 512*6k/16 = 26.7.
    assert counts(SMALL, 0.5, residual=False) == [216, 1152, 761, 26, 96]
    assert counts(SMALL, 0.1, residual=False) == reference([l.size for l in SMALL], 0.1, vgg=True)[0]


@pytest.mark.parametrize("schedule", ["quadratic", "linear", "cubic", "ascending"])
@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("density", [0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9])
def test_matches_reference(schedule, residual, density):
    for layers in (SMALL, vgg19_layers()):
        if int(sum(l.size for l in layers) * density) < int(0.3 * layers[-1].size):
            continue  # below the classifier's fixed share: an error (test_errors)
        want, _ = reference([l.size for l in layers], density, vgg=not residual, schedule=schedule)
        assert counts(layers, density, residual, schedule=schedule) == want


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("density", [0.1, 0.05, 0.02])
def test_vgg19_totals_and_time(residual, density):
    layers = vgg19_layers()
    n = sum(l.size for l in layers)
    assert n == 20_024_000
    budget = make("smart_ratio")
    start = time.perf_counter()
    got = budget.keep_counts(layers, density, residual=residual)
    assert time.perf_counter() - start < 1.0
    # Tolerance from the int() truncations, L' = 16 scored layers: sum_l k*s_l*N_l exceeds G by
    # k * sum frac(N_l*s_l) < k*L'; the overflow pass floors each carry (loses < 1 per saturated layer) and
    # a layer filled to 1 gains < 1; the final int(density_l*N_l) loses < 1 per layer. So
    # -2L' < total - int(N*density) < (k+1)L'.
    _, k = reference([l.size for l in layers], density, vgg=not residual)
    off = sum(got) - int(n * density)
    assert -2 * 16 < off < (k + 1) * 16
    assert abs(sum(got) / n - density) < 2 * 16 / n
    assert got[-1] == int(0.3 * 5120)
    assert all(0 <= c <= l.size for c, l in zip(got, layers))


@pytest.mark.parametrize("density", [0.02, 0.1, 0.5])
def test_classifier_keeps_its_share_whatever_the_density(density):
    layers = vgg19_layers()
    assert counts(layers, density)[-1] == int(0.3 * 5120) == 1536
    assert counts(layers, density, linear_keep_ratio=0.5)[-1] == 2560
    assert make("smart_ratio").densities(layers, density)[-1] == 0.3


def _strictly_decreasing(xs):
    return all(a > b for a, b in zip(xs, xs[1:]))


def test_ablation_orderings():
    layers = vgg19_layers()
    dens = {s: make("smart_ratio", schedule=s).densities(layers, 0.02)[:-1]
            for s in ("quadratic", "linear", "cubic", "ascending", "uniform")}
    for s in ("quadratic", "linear", "cubic"):
        assert _strictly_decreasing(dens[s]), s
    assert all(a <= b for a, b in zip(dens["ascending"], dens["ascending"][1:]))
    assert dens["ascending"][0] < dens["ascending"][-1] <= 1
    assert len(set(dens["uniform"])) == 1
    vgg = make("smart_ratio").densities(layers, 0.02, residual=False)[:-1]
    assert _strictly_decreasing(vgg[2:]) and vgg[0] == 1.0  # the first layers saturate, VGG-style


def test_ascending_overflow_is_clipped():
    # The deepest layers overflow; the reference's pass stops at layer 1 (nothing carried), so they are
    # clipped to 1 and the total falls short of the target.
    # Scores 2, 6, 12, 20; k = (3603 - 96)/(432 + 6912 + 27648 + 10240); layer d at 20k = 1.55.
    budget = make("smart_ratio", schedule="ascending")
    dens = budget.densities(SMALL, 0.8)
    assert dens[0] < 1 and dens[3] == 1.0
    got = budget.keep_counts(SMALL, 0.8)
    assert got[3] == 512 and sum(got) < int(0.8 * N_SMALL)


def test_uniform_gives_one_density_also_vgg_style():
    layers = vgg19_layers()
    for residual in (True, False):
        dens = make("smart_ratio", schedule="uniform").densities(layers, 0.1, residual=residual)[:-1]
        assert len(set(dens)) == 1
        goal = int(20_024_000 * 0.1) - 1536
        assert dens[0] == goal / (20_024_000 - 5120)


def test_vgg_factor_option():
    layers = vgg19_layers()
    auto_vgg = counts(layers, 0.05, residual=False)
    assert counts(layers, 0.05, residual=True, vgg_factor=True) == auto_vgg
    assert counts(layers, 0.05, residual=False, vgg_factor=False) == counts(layers, 0.05, residual=True)


def test_without_classifier_every_layer_is_scored():
    layers = SMALL[:-1]
    want, _ = reference([l.size for l in layers], 0.1, vgg=False, linear_last=False)
    assert counts(layers, 0.1) == want
    assert make("smart_ratio").densities(layers, 0.1)[-1] < 0.3  # scored, not the fixed share


def test_hidden_dense_is_scored_like_conv():
    mlp = [LayerInfo("fc1", (784, 300), "dense"), LayerInfo("fc2", (300, 100), "dense"),
           LayerInfo("out", (100, 10), "dense")]
    dens = make("smart_ratio").densities(mlp, 0.05)
    assert dens[0] > dens[1] and dens[2] == 0.3
    assert counts(mlp, 0.05) == reference([l.size for l in mlp], 0.05, vgg=False)[0]


def test_errors():
    with pytest.raises(TicketsError, match="schedule"):
        make("smart_ratio", schedule="exponential")
    with pytest.raises(TicketsError, match="linear_keep_ratio"):
        make("smart_ratio", linear_keep_ratio=1.5)
    with pytest.raises(TicketsError, match="vgg_factor"):
        make("smart_ratio", vgg_factor="yes")
    big_head = [LayerInfo("c", (3, 3, 3, 8), "conv"), LayerInfo("fc", (100, 40), "dense")]
    with pytest.raises(TicketsError, match="too low"):
        counts(big_head, 0.1)
    with pytest.raises(TicketsError, match="besides the classifier"):
        counts([LayerInfo("fc", (100, 10), "dense")], 0.1)
