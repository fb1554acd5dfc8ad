"""The directory a run owns: its flags, metrics, checkpoints, TensorBoard logs and final results.

Every file is written atomically (`tf_tickets.files`). A run whose `results.json` exists is finished
and is not redone. The settings file is created once, by exactly one process even when several race
for the directory; a directory holding other settings is refused.

Settings name other runs' files relative to the runs root ("pretrain/clean/seed0/final_weights.npz"),
so that a root mounted elsewhere or moved keeps its runs. Earlier versions wrote absolute paths: a
settings file whose absolute paths end in the relative ones, all under one root, is the same run.
"""
import json
import os
from typing import Any, Dict, List, Optional

from tf_tickets.errors import TicketsError
from tf_tickets.files import create_exclusive, json_text, read_json, write_json
from tf_tickets.run_files import CHECKPOINTS, CONFIG, RESULTS, STAGE, TENSORBOARD


class OtherSettings(TicketsError):
    """The directory holds another run (or another set of settings)."""


def same_settings(held: Any, wanted: Any) -> bool:
    """Whether settings as a file holds them (`held`) are `wanted`, older absolute paths included."""
    return not _differences(held, wanted)


def _differences(held: Any, wanted: Any) -> List[str]:
    """The top-level keys whose values differ (["(all)"] when not both are dicts), as `same_settings` judges."""
    wanted = json.loads(json.dumps(wanted))  # as a file holds them (tuples as lists)
    roots = set()  # the roots that older absolute paths were written under: one at most
    if not (isinstance(held, dict) and isinstance(wanted, dict)):
        return [] if _equal(held, wanted, roots) and len(roots) <= 1 else ["(all)"]
    changed = sorted(k for k in set(held) | set(wanted) if k not in held or k not in wanted
                     or not _equal(held[k], wanted[k], roots))
    return changed or (["(paths under several roots)"] if len(roots) > 1 else [])


def _equal(held: Any, wanted: Any, roots: set) -> bool:
    if isinstance(wanted, dict):
        return isinstance(held, dict) and held.keys() == wanted.keys() and \
            all(_equal(held[k], wanted[k], roots) for k in wanted)
    if isinstance(wanted, list):
        return isinstance(held, list) and len(held) == len(wanted) and \
            all(_equal(h, w, roots) for h, w in zip(held, wanted))
    if isinstance(wanted, str) and isinstance(held, str) and held != wanted and "/" in wanted \
            and not os.path.isabs(wanted) and os.path.isabs(held) and held.endswith("/" + wanted):
        roots.add(held[:-len(wanted) - 1])  # an older version's absolute path to the same file
        return True
    return held == wanted


class OwnedDir:
    """A directory that one set of settings owns: the settings are written once, when it is claimed,
    and a directory holding other settings is refused (a run directory, a tuning directory)."""

    SETTINGS = CONFIG  # the file holding the settings
    FLAG, OWNER = "--run_dir", "run"  # how error messages name the directory and what owns it

    def __init__(self, path: str):
        self.path = os.path.abspath(path)

    def file(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)

    def settings(self) -> Optional[Dict[str, Any]]:
        """The settings the directory holds, or None (not claimed yet)."""
        return read_json(self.file(self.SETTINGS))

    def check(self, settings: Dict[str, Any]) -> None:
        """Raises if the directory holds other settings (`OtherSettings`), or is not a directory."""
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise TicketsError(f"{self.FLAG} {self.path} exists and is not a directory")
        existing = self.settings()
        changed = _differences(existing, settings) if existing is not None else []
        if changed:
            raise OtherSettings(f"{self.FLAG} {self.path} holds a {self.OWNER} with other settings "
                                f"({', '.join(changed)}); pick another {self.FLAG} or delete it")

    def claim(self, settings: Dict[str, Any]) -> None:
        """Creates the directory for `settings` (after `check`); they are written once, by one process
        of any that race for the directory (the others then find them and are checked against them)."""
        self.check(settings)
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as error:
            raise TicketsError(f"cannot create {self.FLAG} {self.path}: {error.strerror}") from None
        if self.settings() is None and not create_exclusive(self.file(self.SETTINGS), json_text(settings)):
            self.check(settings)  # another process wrote them first


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

    def record(self) -> Optional[Dict[str, Any]]:
        """What the run is within its procedure (`tf_tickets.runs.record`), or None for a run made before
        records were kept and not reused since."""
        return read_json(self.file(STAGE))

    def keep_record(self, record) -> None:
        """Writes the run's record (a `StageRecord`) unless it has one: the first plan to run or reuse it says
        what it is (a run shared by several procedures, the dense pretraining, is the same part of each)."""
        if not os.path.exists(self.file(STAGE)):
            write_json(self.file(STAGE), record.to_config())
