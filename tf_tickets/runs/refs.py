"""References to files that other runs write, resolved to paths once the grid's root is known.

A procedure says "the final weights of stage `pretrain/clean/seed0`" as `Ref("pretrain/clean/seed0",
FINAL_WEIGHTS)`; the grid resolves it under its root, and the stage that reads it runs after the
stage that writes it. A file the user names (a mask file, say) is `Ref.at(path)`.
"""
import dataclasses
import os
from typing import Optional

from tf_tickets.errors import TicketsError


@dataclasses.dataclass(frozen=True)
class Ref:
    stage: Optional[str] = None  # the run that writes the file, relative to the grid's root
    file: str = ""  # a name from `tf_tickets.run_files`
    path: Optional[str] = None  # set once resolved, or given by the user

    @classmethod
    def at(cls, path: str) -> "Ref":
        return cls(path=path)

    def resolved(self, root: str) -> "Ref":
        if self.path is not None:
            return self
        return dataclasses.replace(self, path=os.path.join(root, self.stage, self.file))

    def __str__(self) -> str:
        if self.path is None:
            raise TicketsError(f"{self.file} of run {self.stage} is not resolved: run it as part of its grid")
        return self.path


def resolved(ref: Optional[Ref], root: str) -> Optional[Ref]:
    return ref.resolved(root) if ref is not None else None


def path_of(ref: Optional[Ref]) -> Optional[str]:
    return str(ref) if ref is not None else None
