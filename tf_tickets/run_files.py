"""The names of the files in a run directory, in one place: runs, procedures and tools refer to them here.

A later stage reads an earlier stage's outputs by these names (`procedures` build references such as
`Ref(stage, FINAL_WEIGHTS)`), so a rename is one edit.
"""
CONFIG = "config.json"  # the settings that identify the run (written once, when the run is claimed)
STAGE = "stage.json"  # what the run is within the procedure that planned it (tf_tickets.runs.record)
RESULTS = "results.json"  # written last: a run with this file is finished
FLAGS = "flags.txt"  # a flagfile that reproduces the run
METRICS_JSON = "metrics.json"  # one row per epoch
METRICS_CSV = "metrics.csv"
CHECKPOINTS = "checkpoints"  # model, optimizer, masks and epoch at each epoch end
TENSORBOARD = "tensorboard"
LOG = "log.txt"  # every log line of the run (what the console leaves out, too)
MASKS = "masks.npz"  # the final masks of a pruned run, keyed by layer
SPARSITY_JSON = "sparsity.json"  # the per-layer sparsity report
SPARSITY_MD = "sparsity.md"
FINAL_WEIGHTS = "final_weights.npz"  # the trained weights, for stages that prune or start from them
REWIND_POINT = "rewind.npz"  # the weights captured at a step of training, for rewinding
MODEL = "model.keras"  # the trained network, wrappers stripped (masked weights exactly zero): what export ships
EXPORT = "export"  # where `tf_tickets.export` writes a run's files by default
