"""The tuning directory: what lives where, and refusing one that holds another search.

    TUNE_DIR/search.json          the search's settings (written once; a different search is refused)
    TUNE_DIR/keras_tuner/         keras-tuner's own state: oracle.json, trial_<id>/trial.json, <tuner id>.json
    TUNE_DIR/trials/<trial id>/   each trial's run directory (a run of tf_tickets.train)
    TUNE_DIR/trials.md, .csv      the table of trials
    TUNE_DIR/best.cfg             the best trial's flags, for `python -m tf_tickets.train --flagfile=...`
    TUNE_DIR/best/                where best.cfg trains
"""
import contextlib
import json

from tf_tickets.errors import TicketsError
from tf_tickets.training.run_dir import OwnedDir

SEARCH = "search.json"
PROJECT = "keras_tuner"  # keras-tuner's `project_name` under `directory` = TUNE_DIR
TABLE = "trials"
BEST_FLAGS = "best.cfg"
BEST_RUN = "best"


class TuneDir(OwnedDir):
    SETTINGS = SEARCH
    FLAG, OWNER = "--tune_dir", "search"

    @property
    def oracle_file(self) -> str:
        return self.file(PROJECT, "oracle.json")

    @contextlib.contextmanager
    def readable_state(self):
        """keras-tuner writes its state in place, so a process killed mid-write leaves half a file: say how
        to recover. Without keras-tuner's state the search starts over with the same seed, so the same
        trials, whose finished run directories are reused."""
        try:
            yield
        except json.JSONDecodeError as error:
            raise TicketsError(f"keras-tuner's state in {self.file(PROJECT)} is damaged ({error}); delete that "
                               "directory and run again: the search starts over with the same seed, reusing the "
                               "runs of the trials it makes again") from None
