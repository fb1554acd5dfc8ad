"""Per-epoch metrics in `metrics.csv` and `metrics.json`, rewritten atomically at each epoch end.

Rows of epochs that a resumed run redoes are replaced, not duplicated.
"""
import math
import os
import time

from tf_tickets import files
from tf_tickets.callbacks.binding import Callback
from tf_tickets.run_files import METRICS_CSV, METRICS_JSON


class MetricsLog(Callback):
    def __init__(self, directory: str, learning_rate=None, enabled: bool = True):
        super().__init__()
        self._json = os.path.join(directory, METRICS_JSON)
        self._csv = os.path.join(directory, METRICS_CSV)
        self._learning_rate = learning_rate
        self._enabled = enabled
        self.rows = []

    def on_train_begin(self, logs=None):
        self.rows = files.read_json(self._json) or []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        row = {"epoch": epoch + 1, "step": step, "seconds": round(time.time() - self._started, 3)}
        if self._learning_rate is not None:
            lr = self._learning_rate
            row["lr"] = float(lr(max(step - 1, 0)) if callable(lr) else lr)
        for key, value in (logs or {}).items():
            value = float(value)
            row[key] = value if math.isfinite(value) else str(value)
        self.rows = [r for r in self.rows if r["epoch"] < epoch + 1] + [row]
        if self._enabled:
            files.write_json(self._json, self.rows)
            files.write_csv(self._csv, self.rows)
