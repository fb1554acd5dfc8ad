"""The pruning policies by name, without a framework: the names a run's settings may give (`PruningConfig`).
Each Keras makes its own policy of a name: tf_keras a TF-MOT `PruningPolicy` (`tf_tickets.pruning.policies`),
Keras 3 the set of its layers that carry masks (`tf_tickets.pruning.keras3.policies`, where xnnpack_1x1,
TF-MOT's, is a one-line error)."""
from tf_tickets.registry import Registry

NAMES = Registry("pruning policy")

for _name, _layers in [("conv_dense", "every Conv and Dense kernel"),
                       ("skip_first", "all but the first conv"),
                       ("skip_classifier", "all but the final Dense layer"),
                       ("skip_first_and_classifier", "all but the first conv and the final Dense layer"),
                       ("skip_shortcuts", "all but 1x1 projection shortcuts"),
                       ("xnnpack_1x1", "1x1 Conv2D only (TF-MOT's PruneForLatencyOnXNNPack)")]:
    NAMES.register(_name)(_layers)
