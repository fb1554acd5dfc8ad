"""Progress of a batch of runs, one line a run, with time and an estimate of what is left."""

_SPEAKING = False  # while a Progress is open, it speaks for each run (the command line hides run INFO lines)


def speaking() -> bool:
    return _SPEAKING


class Progress:
    """One line per run of a batch of runs: `[7/15] snip/.../seed2  84.30%  (12 s, ETA 1 min)`.

    While it is in use, the runs' own INFO lines and Keras' per-epoch lines stay off the console (each
    run's log file keeps them); `--verbose` shows everything as well.
    """

    def __init__(self, total: int, verbose: bool = False):
        global _SPEAKING
        self.total, self.number, self.trained, self.seconds, self.first = total, 0, 0, 0.0, 0.0
        self.verbose = verbose
        _SPEAKING = not verbose

    @property
    def fit_verbosity(self):
        """Keras' verbosity for each run's `fit`: its default when verbose, else silent."""
        return None if self.verbose else 0

    def done(self, name: str, results: dict, seconds: float, reused: bool = False, elsewhere: bool = False) -> None:
        """One line for run `name`: trained here in `seconds`, or `reused` (finished before this batch
        started), or finished `elsewhere` (by another worker) meanwhile."""
        self.number += 1
        accuracy = f"{100 * results['test_accuracy']:.2f}%" if results else "-"
        if reused or elsewhere:
            timing = "finished by another worker" if elsewhere else "finished earlier"
        else:
            self.trained += 1
            self.seconds += seconds
            if self.trained == 1:
                self.first = seconds
            timing = f"{seconds:.0f} s, ETA {_duration((self.total - self.number) * self.per_run())}"
        print(f"[{self.number}/{self.total}] {name}  {accuracy}  ({timing})", flush=True)

    def per_run(self) -> float:
        """Seconds a run is expected to take: the mean of those trained since the first, which alone pays
        the one-off costs (Keras compiling the train step that later runs of a grid share, scoring copies,
        first loads), once there are any; until then the first's."""
        if self.trained < 2:
            return self.seconds / max(self.trained, 1)
        return (self.seconds - self.first) / (self.trained - 1)

    def close(self) -> None:
        global _SPEAKING
        _SPEAKING = False


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
