"""Who trains a run now: a claim file in its directory, so that any number of workers (processes on one
machine, or on several sharing the runs root) train each run once.

    claim = claims.acquire(run_dir, timeout=600)   # or raises Held: a live worker trains it
    try:
        ... train, calling claim.check() before anything is written ...
    finally:
        claim.release()

The claim (`claim.json`: host, pid, start time, a random token) is created atomically
(`files.create_exclusive`), so of several workers exactly one gets it. While it is held a thread
touches it every `timeout / 10` seconds (a heartbeat that does not wait for an epoch to end). A claim
whose heartbeat is older than `timeout`, or whose process is gone on this machine, is taken over: moved
aside under a unique name (a rename: one worker of several wins), checked to be the very file judged
stale, removed, and a new claim created. Hosts sharing a root need clocks that agree to well within
the timeout (NTP does). A worker that was paused past the timeout and finds its claim taken stops
(`check` raises `ClaimLost`) before it writes again. Every claim that starts training appends a line to
`claims.log` in the run directory: who trained the run, and whom they took it over from.
"""
import dataclasses
import json
import os
import socket
import threading
import time
import uuid
from typing import Optional

from tf_tickets.errors import TicketsError
from tf_tickets.files import create_exclusive

CLAIM = "claim.json"
LOG = "claims.log"
DEFAULT_TIMEOUT = 600.0  # seconds without a heartbeat before a claim is taken over
BEATS_PER_TIMEOUT = 10


class Held(TicketsError):
    """A live worker holds the claim."""


class ClaimLost(TicketsError):
    """Another worker took this worker's claim over (this one was silent for longer than the timeout)."""


def _machine() -> str:
    """This machine and process namespace, or "" where they cannot be told apart (then no process is judged
    gone by its pid alone): the host name, the kernel's boot id and the pid namespace."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        return f"{socket.gethostname()}:{boot}:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return ""


MACHINE = _machine()


@dataclasses.dataclass(frozen=True)
class Owner:
    """What a claim file says about the worker that holds it."""

    host: str
    pid: int
    started: float
    token: str
    machine: str = ""

    @classmethod
    def me(cls) -> "Owner":
        return cls(socket.gethostname(), os.getpid(), time.time(), uuid.uuid4().hex, MACHINE)

    @classmethod
    def read(cls, path: str) -> Optional["Owner"]:
        try:
            with open(path) as f:
                fields = json.load(f)
            return cls(str(fields["host"]), int(fields["pid"]), float(fields["started"]), str(fields["token"]),
                       str(fields.get("machine", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # gone, or an empty file being written on a filesystem without hard links

    def text(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True) + "\n"

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid}"

    def is_gone(self) -> bool:
        """Whether this worker's process has ended (known only on its own machine)."""
        if not self.machine or self.machine != MACHINE:
            return False
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie: killed, not yet reaped
        except (OSError, IndexError):
            pass
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class Claim:
    """A claim this worker holds: a heartbeat thread keeps it fresh until `release`."""

    def __init__(self, directory: str, owner: Owner, timeout: float, took_over: Optional[str] = None):
        self.directory, self.owner, self.timeout = directory, owner, timeout
        self.path = os.path.join(directory, CLAIM)
        self.took_over = took_over  # whom it was taken over from, e.g. "host pid 12 (heartbeat 700 s old)"
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"claim heartbeat {directory}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.timeout / BEATS_PER_TIMEOUT):
            holder = Owner.read(self.path)
            if holder is not None and holder.token != self.owner.token or \
                    holder is None and not os.path.exists(self.path):
                self._lost.set()
                return
            try:
                os.utime(self.path)
            except OSError:
                pass  # a passing filesystem error: the next beat tries again

    def check(self, read: bool = True) -> None:
        """Raises `ClaimLost` if another worker has taken the claim over (`read`: look at the file too, not
        only at what the heartbeat thread found)."""
        if not self._lost.is_set() and read:
            holder = Owner.read(self.path)
            if holder is None or holder.token != self.owner.token:
                self._lost.set()
        if self._lost.is_set():
            holder = Owner.read(self.path)
            raise ClaimLost(f"{self.directory} was taken over by {holder or 'another worker'} while this worker "
                            f"was silent for more than {self.timeout:g} s")

    def note(self, text: str) -> None:
        """Appends `text` to the run's claims log, with the time and this worker."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(os.path.join(self.directory, LOG), "a") as f:
            f.write(f"{stamp} {self.owner}: {text}\n")

    def release(self) -> None:
        """Stops the heartbeat and removes the claim, if it is still this worker's."""
        self._stop.set()
        self._thread.join()
        holder = Owner.read(self.path)
        if holder is not None and holder.token == self.owner.token:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def holder(directory: str, timeout: float = DEFAULT_TIMEOUT) -> Optional[Owner]:
    """The live worker that holds the claim of `directory`, or None (no claim, or one that may be taken over)."""
    path = os.path.join(directory, CLAIM)
    try:
        age = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    owner = Owner.read(path)
    if age > timeout or owner is not None and owner.is_gone():
        return None
    return owner or Owner("(a worker)", 0, 0.0, "")


def acquire(directory: str, timeout: float = DEFAULT_TIMEOUT) -> Claim:
    """This worker's claim of `directory` (created if need be), taken over from a worker that is gone or
    silent for longer than `timeout` seconds; raises `Held` while a live worker holds it."""
    if timeout <= 0:
        raise TicketsError(f"--claim_timeout must be positive, got {timeout:g}")
    path = os.path.join(directory, CLAIM)
    me, took_over = Owner.me(), None
    for _ in range(5):  # each pass ends with the claim made, or with one that was there moved away
        if create_exclusive(path, me.text()):
            return Claim(directory, me, timeout, took_over)
        try:
            judged = os.stat(path)
        except FileNotFoundError:
            continue  # released, or moved away by another worker, since: try again
        owner = Owner.read(path)
        age = time.time() - judged.st_mtime
        gone = owner is not None and owner.is_gone()
        if age <= timeout and not gone:
            raise Held(f"{directory} is being trained by {owner or 'another worker'} (heartbeat {age:.0f} s ago)")
        aside = f"{path}.stale-{me.token}"
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            continue  # another worker moved it first
        moved = os.stat(aside)
        if (moved.st_ino, moved.st_mtime_ns) != (judged.st_ino, judged.st_mtime_ns):
            # Not the file judged stale: a new claim made (or a heartbeat written) in between. Put it back.
            try:
                os.link(aside, path)
            except FileExistsError:
                pass
            os.remove(aside)
            raise Held(f"{directory} is being trained by {Owner.read(path) or 'another worker'}")
        os.remove(aside)
        took_over = f"{owner or 'a worker'} ({'its process is gone' if gone else f'heartbeat {age:.0f} s old'})"
    raise Held(f"{directory}: its claim changed hands too often to take it; try again")
