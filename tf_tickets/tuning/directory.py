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
import os

from tf_tickets.errors import TicketsError
from tf_tickets.files import read_json, write_json

SEARCH = "search.json"
PROJECT = "keras_tuner"  # keras-tuner's `project_name` under `directory` = TUNE_DIR
TABLE = "trials"
BEST_FLAGS = "best.cfg"
BEST_RUN = "best"


class TuneDir:
    def __init__(self, path: str):
        self.path = os.path.abspath(path)

    def file(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)

    @property
    def oracle_file(self) -> str:
        return self.file(PROJECT, "oracle.json")

    def check(self, settings: dict) -> None:
        """Raises if the directory holds a search with other settings (or is not a directory)."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise TicketsError(f"--tune_dir {self.path} exists and is not a directory")
        existing = read_json(self.file(SEARCH))
        settings = json.loads(json.dumps(settings))  # as the file holds it (tuples as lists)
        if existing is not None and existing != settings:
            changed = sorted(k for k in set(existing) | set(settings) if existing.get(k) != settings.get(k))
            raise TicketsError(f"--tune_dir {self.path} holds a search with other settings ({', '.join(changed)}); "
                               "pick another --tune_dir or delete it")

    def claim(self, settings: dict) -> None:
        """Records the search's settings (after `check`); they are written once."""
        self.check(settings)
        if read_json(self.file(SEARCH)) is None:
            try:
                write_json(self.file(SEARCH), settings)
            except OSError as error:
                raise TicketsError(f"cannot write to --tune_dir {self.path}: {error.strerror}") from None

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
