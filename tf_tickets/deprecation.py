"""Older spellings that still work: each says once per run (not at every use) what to use instead."""
from absl import logging

_NOTED = set()


def note(old: str, new: str) -> None:
    """Logs "OLD is deprecated: use NEW", the first time OLD is used in this run."""
    if old not in _NOTED:
        _NOTED.add(old)
        logging.warning("%s is deprecated: use %s", old, new)


def new_run() -> None:
    """Another run in the same process (`cli.run_in_process`) notes each spelling again."""
    _NOTED.clear()
