"""The directory a run owns: its flags, metrics, checkpoints, TensorBoard logs and final results.

Every file is written atomically (`tf_tickets.files`). A run whose `results.json` exists is finished
and is not redone.
"""
import json
import os
from typing import Any, Dict, Optional

from tf_tickets.errors import TicketsError
from tf_tickets.files import read_json, write_json
from tf_tickets.run_files import CHECKPOINTS, CONFIG, RESULTS, TENSORBOARD


class OwnedDir:
    """A directory that one set of settings owns: the settings are written once, when it is claimed,
    and a directory holding other settings is refused (a run directory, a tuning directory)."""

    SETTINGS = CONFIG  # the file holding the settings
    FLAG, OWNER = "--run_dir", "run"  # how error messages name the directory and what owns it

    def __init__(self, path: str):
        self.path = os.path.abspath(path)

    def file(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)

    def check(self, settings: Dict[str, Any]) -> None:
        """Raises if the directory holds other settings, or is not a directory."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise TicketsError(f"{self.FLAG} {self.path} exists and is not a directory")
        existing = read_json(self.file(self.SETTINGS))
        settings = json.loads(json.dumps(settings))  # as the file holds them (tuples as lists)
        if existing is not None and existing != settings:
            changed = sorted(k for k in set(existing) | set(settings) if existing.get(k) != settings.get(k))
            raise TicketsError(f"{self.FLAG} {self.path} holds a {self.OWNER} with other settings "
                               f"({', '.join(changed)}); pick another {self.FLAG} or delete it")

    def claim(self, settings: Dict[str, Any]) -> None:
        """Creates the directory for `settings` (after `check`); they are written once."""
        self.check(settings)
        existing = read_json(self.file(self.SETTINGS))
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as error:
            raise TicketsError(f"cannot create {self.FLAG} {self.path}: {error.strerror}") from None
        if existing is None:
            write_json(self.file(self.SETTINGS), settings)


class RunDir(OwnedDir):
    """Paths and checks for one run's directory."""

    @property
    def checkpoints(self) -> str:
        return self.file(CHECKPOINTS)

    @property
    def tensorboard(self) -> str:
        return self.file(TENSORBOARD)

    def results(self) -> Optional[Dict[str, Any]]:
        return read_json(self.file(RESULTS))

    def is_finished(self) -> bool:
        return os.path.exists(self.file(RESULTS))

    def finish(self, results: Dict[str, Any]) -> None:
        write_json(self.file(RESULTS), results)
