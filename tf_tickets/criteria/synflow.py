"""`synflow`: Iterative Synaptic Flow Pruning (Tanaka et al. 2020), data-free.

As the reference's `linearize` does to the whole state_dict, every float variable of the model is
replaced by its absolute value: kernels, biases, BatchNorm's gamma and beta and its moving statistics.
The reference scores in eval mode, so BatchNorm runs in inference mode (`training=False`, on the
|moving statistics|). Input: ones of the model's input shape, batch 1; R = sum of the outputs; score
|w * dR/dw|. Products of |w| grow geometrically with depth and overflow float32 in deep nets, so this
runs in float64 and returns float64 scores: on the model itself when it is float64 already (the scoring
copy `Pruner` makes for it, `copy_dtype`), else on a float64 clone kept per model across the rounds;
a model of another dtype is changed only by the masks written into it. The framework computes the scores
(`autodiff`: for tf_keras in traced steps that keep |w * dR/dw| in the graph, over VGG19's 20 M weights
per round; for Keras 3 with its backend's gradient).

`rounds` (default 100): the caller prunes iteratively, round k to density**(k/rounds), passing the
masks back in; masked weights are zero in the clone, so they score 0. `survivor_rounds` is the same
iteration for a caller that ranks only the survivors (`tf_tickets.pruning.survivors`), where the framework
offers it (tf_keras; None otherwise, and the caller ranks every weight each round).
"""
from tf_tickets.criteria import autodiff
from tf_tickets.criteria.base import CRITERIA, Criterion, check_weights, positive_int


@CRITERIA.register("synflow")
class Synflow(Criterion):
    name = "synflow"
    defaults = {"rounds": 100}
    copy_dtype = "float64"

    def _configure(self, rounds):
        self.rounds = positive_int("rounds", rounds)

    def _score(self, model, weights, batch, seed):
        return autodiff.of(model).synflow_scores(model, weights)

    def survivor_rounds(self, model, weights):
        """The rounds over the survivors of `weights`, all of which survive at first (the model's weights
        as they are now), or None where the model's framework has none."""
        return autodiff.of(model).synflow_survivor_rounds(model, check_weights(model, weights))
