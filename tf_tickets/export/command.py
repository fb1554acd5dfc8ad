"""Exports a finished run: `python -m tf_tickets.export --run_dir=RUN [--formats=...] [--out=DIR]`
(`__main__` runs this module's `main`).

Reads the run's trained model (`model.keras`) and its data set, and writes the files, `export.json` and
`export.md` to --out (default RUN/export); the report is also copied into the run directory and
printed. Exit 1 when a format was refused (the others are written), 2 on bad input (nothing written). A
model that carries Python code (a Lambda layer) is refused unless --trust_model_code.
"""
import os

from absl import flags, logging

from tf_tickets import cli, files, run_files
from tf_tickets.errors import TicketsError
from tf_tickets.export import api, formats, report
from tf_tickets.runs import RunSpec
from tf_tickets.training import flags as train_flags  # --run_dir, --data_dir

FORMATS = flags.DEFINE_list("formats", ",".join(formats.DEFAULT_FORMATS),
                            f"What to write: {', '.join(formats.FORMATS)}.")
OUT = cli.OUT  # default RUN/export; must be new, empty, or an earlier export
TEST_EXAMPLES = flags.DEFINE_integer("test_examples", 1000, "Test examples every file is checked on.")
CALIBRATION_EXAMPLES = flags.DEFINE_integer("calibration_examples", 200, "Training examples that calibrate int8.")
LATENCY_REPEATS = flags.DEFINE_integer("latency_repeats", 50, "Timed batch-1 runs per file and runtime (median).")
TOLERANCE = flags.DEFINE_float("tolerance", 1e-4, "Largest |logit difference| a float file may show.")
MIN_INT8_AGREEMENT = flags.DEFINE_float("min_int8_agreement", 0.9, "Smallest top-1 agreement with the Keras model "
                                        "an int8 file may show.")


def load_run(path: str, trust_code: bool = False):
    """(the run's trained model, its data set); one-line errors for what is not a finished run, for a run on a
    user's own data (a run directory does not keep it), or for a model that carries Python code unless
    `trust_code` (`tf_tickets.load_model`: a Keras 3 run's model loads with Keras 3)."""
    from tf_tickets import data
    from tf_tickets.loading import load_model

    spec = RunSpec.read(path)
    if spec.dataset.startswith("user:"):
        raise TicketsError(f"{path} trained on your own data ({spec.dataset}), which a run directory does not "
                           f"keep: export it in Python, tf_tickets.export.export(tf_tickets.load_model("
                           f"'{os.path.join(path, run_files.MODEL)}'), OUT, test_data=(x, y))")
    if not os.path.exists(os.path.join(path, run_files.RESULTS)):
        raise TicketsError(f"{path} has not finished: finish it first (the same train command resumes it)")
    model_path = os.path.join(path, run_files.MODEL)
    if not os.path.exists(model_path):
        raise TicketsError(f"{path} holds no {run_files.MODEL} (it finished before runs kept their model): delete its "
                           f"{run_files.RESULTS} and run its command again, which restores the last checkpoint, "
                           f"trains no further and writes {run_files.MODEL}")
    return (load_model(model_path, compile=False, trust_code=trust_code),
            data.load(spec.dataset, train_flags.DATA_DIR.value))


def main(argv):
    from tf_tickets.data import pipeline

    run_dir = train_flags.RUN_DIR.value
    if not run_dir:
        raise TicketsError("give --run_dir, a finished run's directory")
    if not os.path.isdir(run_dir):
        raise TicketsError(f"--run_dir {run_dir} does not exist")
    for value, name in ((TEST_EXAMPLES.value, "test_examples"), (CALIBRATION_EXAMPLES.value, "calibration_examples"),
                        (LATENCY_REPEATS.value, "latency_repeats")):
        if value < 1:
            raise TicketsError(f"--{name} must be at least 1")
    out = OUT.value or os.path.join(run_dir, run_files.EXPORT)
    try:
        formats.parse(FORMATS.value)
    except ValueError as error:
        raise TicketsError(str(error)) from None
    api.check_destination(out)
    model, dataset = load_run(run_dir, cli.TRUST_MODEL_CODE.value)
    logging.info("exporting %s (%s) to %s: %s", run_dir, dataset.name, out, ", ".join(FORMATS.value))
    test = (pipeline.normalize(dataset.x_test[:TEST_EXAMPLES.value], dataset).numpy(), dataset.y_test)
    calibration = pipeline.normalize(dataset.x_train[:CALIBRATION_EXAMPLES.value], dataset).numpy()
    found = api.export(model, out, test, calibration, FORMATS.value, TEST_EXAMPLES.value, CALIBRATION_EXAMPLES.value,
                       LATENCY_REPEATS.value, TOLERANCE.value, MIN_INT8_AGREEMENT.value, source=os.path.abspath(run_dir),
                       trust_code=cli.TRUST_MODEL_CODE.value)
    table = report.markdown(found)
    if os.path.abspath(out) != os.path.abspath(os.path.join(run_dir, run_files.EXPORT)):
        files.write_json(os.path.join(run_dir, api.REPORT_JSON), found)
        files.write_atomic(os.path.join(run_dir, api.REPORT_MD), table + "\n")
    print(table)
    print(f"({os.path.abspath(out)})")
    refused = [row["format"] for row in found["formats"] if row.get("refused")]
    if refused:
        logging.warning("not written: %s (see the notes above)", ", ".join(refused))
        return 1
    return 0

