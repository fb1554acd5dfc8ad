"""Searching a run's settings with keras-tuner (`python -m tf_tickets.tune`).

`space` reads the `--space` syntax; `plan` binds each searched name to the flag (or budget or
criterion option) it sets and turns a trial's values into our run, as `tf_tickets.train` makes it;
`oracles` makes keras-tuner's oracle for `--tuner`; `trials` is the keras-tuner tuner whose trials
are our runs; `chief` serves the oracle to workers in distributed tuning; `directory` says what lives
where in the tuning directory; `report` writes the table of trials and the best trial's flagfile.
"""
import importlib

importlib.import_module("tf_tickets.backend")  # TensorFlow first, quietly, before keras_tuner imports it
