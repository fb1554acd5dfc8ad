"""Stops a run whose claim another worker has taken over, before it writes anything more.

A worker paused (or cut off from the shared filesystem) for longer than the claim timeout loses its
run to another worker, which resumes it from the last checkpoint. When the first one wakes, this
callback, placed before the checkpoint and metrics callbacks, raises `ClaimLost` at its next batch
(once its heartbeat thread has noticed) or, reading the claim file, at the epoch's end and when
training ends: the run is then never written by two live workers.
"""
from tf_tickets.callbacks.binding import Callback
from tf_tickets.training.claims import Claim


class KeepClaim(Callback):
    def __init__(self, claim: Claim):
        super().__init__()
        self.claim = claim

    def steps_that_matter(self):
        return ()  # no step of its own: several steps per call keep it exact enough

    def on_train_batch_end(self, batch, logs=None):
        self.claim.check(read=False)

    def on_epoch_end(self, epoch, logs=None):
        self.claim.check()

    def on_train_end(self, logs=None):
        self.claim.check()
