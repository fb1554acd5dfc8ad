"""Loading never runs code from a file unless the user says so: a saved model whose configs carry Python code
(a Lambda's bytecode, a function or class named by module) is refused in every format, before Keras sees it,
with one line naming the layer; `trust_code=True` / `--trust_model_code` loads it. Every load failure is one
line (exit 2 on the command line), never a traceback."""
import json
import os
import sys
import zipfile

import numpy as np
import pytest

import tf_tickets
from tf_tickets.backend import keras, tf
from tf_tickets.errors import TicketsError

FORMATS = {"h5": ("model.h5", {}), "keras": ("model.keras", {}), "saved_model": ("saved", {"save_format": "tf"})}


def planted(marker, input_shape=(4,), classes=3):
    """A model whose Lambda layer 'planted' creates `marker` whenever Keras rebuilds or calls it."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten(name="flat")(inputs)
    x = keras.layers.Lambda(lambda t, path=str(marker): (open(path, "w").close(), t)[1], name="planted")(x)
    return keras.Model(inputs, keras.layers.Dense(classes, name="fc")(x))


def broken(path, input_shape=(4,), classes=3):
    """Saves a model whose Lambda's code fails when Keras rebuilds the model from the file."""
    model = planted(os.devnull, input_shape, classes)
    model.get_layer("planted").function = lambda t: 1 // 0
    model.save(str(path))


def save(model, directory, fmt, marker):
    name, options = FORMATS[fmt]
    path = str(directory / name)
    model.save(path, **options)
    if os.path.exists(marker):  # building and saving the model called the lambda: start clean
        os.remove(marker)
    return path


def assert_one_line(error, *words):
    message = str(error.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_model_carrying_code_is_refused_in_every_format_and_the_code_never_runs(fmt, tmp_path):
    marker = tmp_path / "the_code_ran"
    model = planted(marker)
    path = save(model, tmp_path, fmt, marker)
    with pytest.raises(TicketsError) as refused:
        tf_tickets.load_model(path)
    assert_one_line(refused, "layer 'planted' (Lambda)", "bytecode", "trust_code=True")
    assert not marker.exists()
    loaded = tf_tickets.load_model(path, compile=False, trust_code=True)
    assert marker.exists()  # the planted code is live: trusted, Keras ran it while rebuilding the model
    x = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)


def plain_model(activation="relu"):
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3, activation=activation, name="head")(inputs))


def double(x):
    return 2.0 * x


@keras.utils.register_keras_serializable("test_trusted_loading")
def registered_double(x):
    return 2.0 * x


def test_a_function_named_by_the_file_is_refused_and_a_registered_one_is_not(tmp_path):
    path = str(tmp_path / "double.keras")
    plain_model(double).save(path)
    with pytest.raises(TicketsError) as refused:
        tf_tickets.load_model(path)
    assert_one_line(refused, "layer 'head' (Dense)", "double")
    # The program's own registered code is no code from the file; Keras' built-ins and a plain model neither.
    for activation, name in ((registered_double, "registered.keras"), ("relu", "relu.h5"), ("relu", "relu.keras")):
        plain_model(activation).save(str(tmp_path / name))
        tf_tickets.load_model(str(tmp_path / name))


def test_a_class_from_a_module_the_file_names_is_never_imported(tmp_path, monkeypatch):
    """A .keras config can name any module for a class (CVE-2025-1550's pattern in Keras 3): tf_keras imports
    it and calls what it finds. The planted module would create the marker when imported."""
    marker = tmp_path / "imported"
    (tmp_path / "planted_module_29.py").write_text(f"open({str(marker)!r}, 'w').close()\n"
                                                   "class Plant:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "model.keras"
    plain_model().save(str(path))
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(contents["config.json"])
    head = next(layer for layer in config["config"]["layers"] if layer["config"]["name"] == "head")
    head["config"]["kernel_initializer"] = {"module": "planted_module_29", "class_name": "Plant", "config": {},
                                            "registered_name": None}
    contents["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    with pytest.raises(TicketsError) as refused:
        tf_tickets.load_model(str(path))
    assert_one_line(refused, "layer 'head' (Dense)", "planted_module_29")
    assert not marker.exists() and "planted_module_29" not in sys.modules


def test_every_load_failure_is_one_line(tmp_path):
    broken(tmp_path / "broken.h5")
    with pytest.raises(TicketsError) as failed:
        tf_tickets.load_model(str(tmp_path / "broken.h5"), trust_code=True)
    assert_one_line(failed, "cannot load the Keras model", "ZeroDivisionError")
    tf.saved_model.save(plain_model(), str(tmp_path / "graph_only"))
    with pytest.raises(TicketsError) as graph_only:
        tf_tickets.load_model(str(tmp_path / "graph_only"))
    assert_one_line(graph_only, "not a Keras SavedModel", "tf.saved_model.load")
    (tmp_path / "notes.h5").write_text("not a model")
    with pytest.raises(TicketsError) as text:
        tf_tickets.load_model(str(tmp_path / "notes.h5"))
    assert_one_line(text, "notes.h5", "not a Keras model")


TRAIN = ["--dataset=embedded", "--train_fraction=0.1", "--batch_size=50", "--lr=0.05", "--lr_schedule=constant",
         "--milestones=", "--validate_every_epoch=false", "--training_steps=2it"]


def test_train_start_from_refuses_code_in_one_line_and_trusts_it_when_told(tmp_path, run_main):
    marker = tmp_path / "ran"
    path = save(planted(marker, input_shape=(28, 28, 1), classes=10), tmp_path, "h5", marker)
    refused = run_main("tf_tickets.train", *TRAIN, f"--start_from={path}", f"--run_dir={tmp_path / 'run'}")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and "layer 'planted' (Lambda)" in refused.stderr
    assert "--trust_model_code" in refused.stderr and "Traceback" not in refused.stderr
    assert not marker.exists() and not (tmp_path / "run").exists()
    broken(tmp_path / "broken.h5", input_shape=(28, 28, 1), classes=10)
    failed = run_main("tf_tickets.train", *TRAIN, f"--start_from={tmp_path / 'broken.h5'}", "--trust_model_code",
                      f"--run_dir={tmp_path / 'run'}")
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1, failed.stderr
    assert "ZeroDivisionError" in failed.stderr and not (tmp_path / "run").exists()
    trusted = run_main("tf_tickets.train", *TRAIN, f"--start_from={path}", "--trust_model_code",
                       f"--run_dir={tmp_path / 'run'}")
    assert trusted.returncode == 0, trusted.stderr[-2000:]
    assert marker.exists() and "test accuracy" in trusted.stdout


def test_export_refuses_a_model_carrying_code_unless_trusted(tmp_path, run_main):
    marker = tmp_path / "ran"
    run = tmp_path / "run"  # a finished run as far as export reads one: its settings, results and model
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": "planted", "dataset": "embedded", "pruning": {"method": "dense"}}))
    (run / "results.json").write_text("{}")
    model = planted(marker, input_shape=(28, 28, 1), classes=10)
    save(model, run, "keras", marker)
    args = [f"--run_dir={run}", "--formats=keras", "--test_examples=20", f"--out={tmp_path / 'out'}"]
    refused = run_main("tf_tickets.export.command", *args)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "layer 'planted' (Lambda)" in refused.stderr and not (tmp_path / "out").exists() and not marker.exists()
    from tf_tickets.export import export

    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype(np.float32)
    with pytest.raises(TicketsError) as api_refused:
        export(model, str(tmp_path / "api"), test_data=(x, np.zeros(8)), formats=["keras"])
    assert_one_line(api_refused, "layer 'planted' (Lambda)", "trust_code=True")
    assert not (tmp_path / "api").exists()
    trusted = run_main("tf_tickets.export.command", *args, "--trust_model_code")
    assert trusted.returncode == 0, trusted.stderr[-2000:]
    assert (tmp_path / "out" / "model.keras").exists() and marker.exists()
