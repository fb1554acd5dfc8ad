"""Claims (`tf_tickets.training.claims`): of several workers exactly one trains a run; a dead or silent worker's
run is taken over; a worker that was paused past the timeout finds out before it writes again. Plain files and
processes, no TensorFlow: seconds."""
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import REPO
from tf_tickets.training import claims


def test_one_claim_at_a_time_and_released_for_the_next(tmp_path):
    claim = claims.acquire(str(tmp_path / "run"), timeout=60)
    written = json.loads((tmp_path / "run" / claims.CLAIM).read_text())
    assert written["pid"] == os.getpid() and written["host"] and written["token"] == claim.owner.token
    with pytest.raises(claims.Held, match=f"pid {os.getpid()}"):
        claims.acquire(str(tmp_path / "run"), timeout=60)
    assert claims.holder(str(tmp_path / "run"), 60).token == claim.owner.token
    claim.release()
    assert not (tmp_path / "run" / claims.CLAIM).exists() and claims.holder(str(tmp_path / "run"), 60) is None
    with claims.acquire(str(tmp_path / "run"), timeout=60) as again:
        again.check()


def _race(directory, ready, results, done):
    ready.wait()  # all at once
    try:
        claims.acquire(directory, timeout=60)
        results.put("won")
    except claims.Held:
        results.put("held")
    done.wait()  # the winner stays alive (a claim whose process is gone would be taken over)


def test_of_workers_racing_for_a_run_exactly_one_gets_it(tmp_path):
    context = multiprocessing.get_context("spawn")  # no fork of a process that may run TensorFlow's threads
    ready, results, done = context.Barrier(8), context.Queue(), context.Event()
    workers = [context.Process(target=_race, args=(str(tmp_path / "run"), ready, results, done)) for _ in range(8)]
    for worker in workers:
        worker.start()
    try:
        outcomes = sorted(results.get(timeout=60) for _ in workers)
    finally:
        done.set()
        for worker in workers:
            worker.join()
    assert outcomes == ["held"] * 7 + ["won"]


def plant(directory, pid, machine, age):
    """A claim as another worker left it: `age` seconds since its last heartbeat."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, claims.CLAIM)
    owner = claims.Owner("node7", pid, time.time() - age, "f" * 32, machine)
    with open(path, "w") as f:
        f.write(owner.text())
    os.utime(path, (time.time() - age, time.time() - age))


def test_a_claim_silent_for_longer_than_the_timeout_is_taken_over(tmp_path):
    run = str(tmp_path / "run")
    plant(run, 4242, "another machine", age=5)
    with pytest.raises(claims.Held, match="node7 pid 4242"):
        claims.acquire(run, timeout=30)
    plant(run, 4242, "another machine", age=45)
    claim = claims.acquire(run, timeout=30)
    assert claim.took_over.startswith("node7 pid 4242 (heartbeat 45 s old)")
    assert json.loads(open(os.path.join(run, claims.CLAIM)).read())["token"] == claim.owner.token
    assert os.listdir(run) == [claims.CLAIM]  # the stale claim is gone, not left beside
    claim.release()


def test_a_claim_whose_process_is_gone_on_this_machine_is_taken_over_at_once(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    plant(str(tmp_path / "run"), gone.pid, claims.MACHINE, age=0)
    with claims.acquire(str(tmp_path / "run"), timeout=600) as claim:
        assert claim.took_over == f"node7 pid {gone.pid} (its process is gone)"
    plant(str(tmp_path / "run"), os.getpid(), claims.MACHINE, age=0)  # alive: held
    with pytest.raises(claims.Held):
        claims.acquire(str(tmp_path / "run"), timeout=600)


def test_the_heartbeat_keeps_a_claim_fresh_without_the_training_loop(tmp_path):
    with claims.acquire(str(tmp_path / "run"), timeout=2.0):  # a beat every 0.2 s
        path = tmp_path / "run" / claims.CLAIM
        os.utime(path, (time.time() - 1.8, time.time() - 1.8))
        time.sleep(0.7)
        assert time.time() - path.stat().st_mtime < 0.6  # the thread has touched it since
        with pytest.raises(claims.Held):
            claims.acquire(str(tmp_path / "run"), timeout=2.0)


PAUSED_WORKER = textwrap.dedent("""
    import sys, time
    from tf_tickets.training import claims
    claim = claims.acquire(sys.argv[1], timeout=1.0)
    print("held", flush=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            claim.check()
        except claims.ClaimLost as error:
            print("lost:", error, flush=True)
            break
        time.sleep(0.05)
    claim.release()
""")


def test_a_worker_paused_past_the_timeout_finds_its_claim_taken_before_it_writes_again(tmp_path):
    run = str(tmp_path / "run")
    worker = subprocess.Popen([sys.executable, "-c", PAUSED_WORKER, run], cwd=REPO, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert worker.stdout.readline().strip() == "held"
        os.kill(worker.pid, signal.SIGSTOP)  # a paused job, a frozen VM, a node cut off from the filesystem
        time.sleep(1.5)
        mine = claims.acquire(run, timeout=1.0)
        assert "heartbeat" in mine.took_over
        os.kill(worker.pid, signal.SIGCONT)
        out, _ = worker.communicate(timeout=30)
        assert out.startswith("lost:") and f"pid {os.getpid()}" in out
        mine.check()  # the woken worker left the claim alone
        mine.release()
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGCONT)
            worker.kill()
