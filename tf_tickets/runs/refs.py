"""References to files that other runs write, resolved to paths once the runs root is known.

A procedure says "the final weights of stage `pretrain/clean/seed0`" as `Ref("pretrain/clean/seed0",
FINAL_WEIGHTS)`; the plan resolves it under its root (a `Root`: where each stage's directory is), and
the stage that reads it runs after the stage that writes it. A file the user names (a mask file, say)
is `Ref.at(path)`.

A run's identity names another run's file relative to the root (`path_of`), so that a root mounted at
another path, on another machine, or moved, keeps recognising its runs; a file the user names keeps
its absolute path.
"""
import dataclasses
import os
import posixpath
from typing import Mapping, Optional, Union

from tf_tickets.errors import TicketsError


@dataclasses.dataclass(frozen=True)
class Root:
    """A runs root, and the directory (relative to it) of each stage whose directory is not its name."""

    path: str
    places: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def directory(self, stage: str) -> str:
        return self.places.get(stage, stage)


@dataclasses.dataclass(frozen=True)
class Ref:
    stage: Optional[str] = None  # the run that writes the file, as its procedure names it
    file: str = ""  # a name from `tf_tickets.run_files`
    path: Optional[str] = None  # set once resolved, or given by the user
    under_root: Optional[str] = None  # once resolved: the file's path relative to the root

    @classmethod
    def at(cls, path: str) -> "Ref":
        return cls(path=path)

    def resolved(self, root: Union[str, Root]) -> "Ref":
        """The file of the stage's directory under `root` (again, when the plan has moved the stage)."""
        if self.stage is None:
            return self
        root = root if isinstance(root, Root) else Root(root)
        relative = posixpath.join(root.directory(self.stage), self.file)
        return dataclasses.replace(self, path=os.path.join(root.path, relative), under_root=relative)

    def __str__(self) -> str:
        if self.path is None:
            raise TicketsError(f"{self.file} of run {self.stage} is not resolved: run it as part of its grid")
        return self.path


def resolved(ref: Optional[Ref], root: Union[str, Root]) -> Optional[Ref]:
    return ref.resolved(root) if ref is not None else None


def path_of(ref: Optional[Ref]) -> Optional[str]:
    """How a run's identity names the file: relative to the runs root for another run's file, else its path."""
    if ref is None:
        return None
    str(ref)  # unresolved: a one-line error
    return ref.under_root or ref.path


def from_path(path: Optional[str], root: Optional[str] = None) -> Optional[Ref]:
    """The reference a run's config names by `path_of`: another run's file relative to the runs root (found
    under `root` when given), or a file the user named by its own path."""
    if path is None:
        return None
    if os.path.isabs(path):
        return Ref.at(path)
    return Ref(path=os.path.join(root, path) if root else path, under_root=path)
