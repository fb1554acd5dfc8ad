"""The directory a run owns: its flags, metrics, checkpoints, TensorBoard logs and final results.

Every file is written atomically (`tf_tickets.files`). A run whose `results.json` exists is finished
and is not redone.
"""
import os
from typing import Any, Dict, Optional

from tf_tickets.errors import TicketsError
from tf_tickets.files import read_json, write_json
from tf_tickets.run_files import CHECKPOINTS, CONFIG, RESULTS, TENSORBOARD


class RunDir:
    """Paths and checks for one run's directory."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)

    def file(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)

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

    def check(self, config: Dict[str, Any]) -> None:
        """Raises if the directory belongs to another run (other settings) or is not a directory."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise TicketsError(f"--run_dir {self.path} exists and is not a directory")
        existing = read_json(self.file(CONFIG))
        if existing is not None and existing != config:
            changed = sorted(k for k in set(existing) | set(config) if existing.get(k) != config.get(k))
            raise TicketsError(f"--run_dir {self.path} holds a run with other settings ({', '.join(changed)}); "
                               "pick another --run_dir or delete it")

    def claim(self, config: Dict[str, Any]) -> None:
        """Creates the directory for `config` (after `check`); the settings are written once."""
        self.check(config)
        existing = read_json(self.file(CONFIG))
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as error:
            raise TicketsError(f"cannot create --run_dir {self.path}: {error.strerror}") from None
        if existing is None:
            write_json(self.file(CONFIG), config)

    def finish(self, results: Dict[str, Any]) -> None:
        write_json(self.file(RESULTS), results)
