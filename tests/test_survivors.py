"""SynFlow's rounds over the survivors alone give exactly the masks, and the collapse reports, of ranking every
weight each round; where the survivors cannot decide a round (a zero threshold, NaN), every weight is ranked
from that round on."""
import warnings

import numpy as np
import pytest

from tests.test_criteria import resnet, small
from tf_tickets.errors import TicketsError
from tf_tickets.pruning import Pruner, survivors, wrap


def synflow_masks(monkeypatch, model, sparsity, rounds):
    """(masks, the warnings raised on the way, how many rounds ranked the survivors alone)."""
    pruner = Pruner("synflow", sparsity, criterion_options={"rounds": rounds})
    done, real_rounds = [0], survivors.rounds

    def counted(*args):
        masks, done[0] = real_rounds(*args)
        return masks, done[0]

    with monkeypatch.context() as patch, warnings.catch_warnings(record=True) as raised:
        patch.setattr(survivors, "rounds", counted)
        warnings.simplefilter("always")
        masks = pruner.masks(wrap(model))
    return masks, [str(w.message) for w in raised], done[0]


def every_weight_ranked(monkeypatch, model, sparsity, rounds):
    with monkeypatch.context() as patch:
        patch.setattr(survivors, "applies", lambda pruner: False)  # the loop that scores every weight
        return synflow_masks(monkeypatch, model, sparsity, rounds)


@pytest.mark.parametrize("make, sparsity, rounds, all_done", [
    (resnet, 0.9, 5, True),
    (resnet, 0.995, 20, True),  # layers die on the way: the same collapse reports, round by round
    (small, 0.999, 5, False),  # the last round's threshold is zero: it ranks every weight
])
def test_survivor_rounds_equal_ranking_every_weight(monkeypatch, make, sparsity, rounds, all_done):
    masks, raised, done = synflow_masks(monkeypatch, make(), sparsity, rounds)
    expected, expected_raised, _ = every_weight_ranked(monkeypatch, make(), sparsity, rounds)
    assert masks.keys() == expected.keys()
    for key in masks:
        np.testing.assert_array_equal(masks[key], expected[key], err_msg=key)
    assert raised == expected_raised  # the same collapse reports, round by round
    assert (done == rounds) == all_done and done > 0
    kept = sum(int(m.sum()) for m in masks.values())
    assert kept == int(sum(m.size for m in masks.values()) * (1 - sparsity))


def test_weights_scoring_zero_from_the_start_send_the_rounds_to_every_weight(monkeypatch):
    """Half of the largest kernel at zero: more weights score zero than the first round prunes."""
    def half_zero():
        model = small()
        kernel = max((layer.kernel for layer in model.layers if hasattr(layer, "kernel")),
                     key=lambda k: k.shape.num_elements())
        kernel.assign(kernel * (np.indices(kernel.shape).sum(axis=0) % 2))
        return model

    masks, _, done = synflow_masks(monkeypatch, half_zero(), 0.1, 3)
    expected = every_weight_ranked(monkeypatch, half_zero(), 0.1, 3)[0]
    assert done == 0
    for key in masks:
        np.testing.assert_array_equal(masks[key], expected[key], err_msg=key)


def test_a_nan_weight_is_refused_as_when_ranking_every_weight():
    model = small()
    kernel = model.layers[1].kernel
    kernel.assign(np.where(np.arange(kernel.shape.num_elements()).reshape(kernel.shape) == 3, np.nan, kernel.numpy()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TicketsError, match="NaN"):
            Pruner("synflow", 0.9, criterion_options={"rounds": 3}).masks(wrap(model))
