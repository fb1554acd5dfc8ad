"""Exports a finished run: python -m tf_tickets.export --run_dir=RUN [--formats=...] [--out=DIR]

Writes the run's model as Keras, SavedModel, sparse TFLite and sparse int8 TFLite files, each checked on
the run's test images, with a report of sizes, parity and latency (tf_tickets.export.command).
"""
from absl import flags

from tf_tickets import cli
from tf_tickets.export import command

flags.adopt_module_key_flags(command)
for _name in ("run_dir", "data_dir", "out", "trust_model_code"):  # defined by the modules that read them elsewhere too
    flags.declare_key_flag(_name)

if __name__ == "__main__":
    cli.run(command.main, "tf_tickets.export")
