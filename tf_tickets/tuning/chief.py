"""Distributed tuning, keras-tuner's way: a chief serves the oracle over gRPC, workers run trials.

Every process runs the same command; keras-tuner's environment variables give the roles:
`KERASTUNER_TUNER_ID` (`chief`, or a worker's own id such as `tuner0`), `KERASTUNER_ORACLE_IP` and
`KERASTUNER_ORACLE_PORT` (where the chief listens). Workers use keras-tuner's own client unchanged;
the chief serves keras-tuner's own servicer, but leaves as soon as the search is over and every worker
has heard so, where keras-tuner's server polls every 30 s and then waits 30 s more. The gRPC channel
is unauthenticated: loopback or a trusted network only. Run directories live in the tuning directory,
so workers on several machines share it (a network file system).
"""
import os
import time
from concurrent import futures
from typing import Callable, Optional

from tf_tickets.errors import TicketsError

TUNER_ID, ORACLE_IP, ORACLE_PORT = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
CHIEF, WORKER = "chief", "worker"


def role() -> Optional[str]:
    """CHIEF or WORKER in distributed tuning (keras-tuner's rule: an id containing "chief" is the chief),
    None otherwise; a one-line error for an incomplete set of variables."""
    if ORACLE_IP not in os.environ:
        return None
    missing = [name for name in (ORACLE_PORT, TUNER_ID) if not os.environ.get(name)]
    if missing:
        raise TicketsError(f"{ORACLE_IP} is set, so tuning is distributed: set {' and '.join(missing)} too")
    return CHIEF if "chief" in os.environ[TUNER_ID] else WORKER


def address() -> str:
    return f"{os.environ[ORACLE_IP]}:{os.environ[ORACLE_PORT]}"


def serve(oracle, on_ended: Callable = lambda trial: None, poll_seconds: float = 0.5,
          grace_seconds: float = 3.0) -> None:
    """Serves `oracle` to the workers until the search is over: some worker was told to stop, no trial is
    running, and `grace_seconds` have passed for the workers that were just closing theirs to ask once
    more and hear it. `on_ended(trial)` is called once for each trial as it ends."""
    import grpc
    from keras_tuner import protos
    from keras_tuner.distribute.oracle_chief import OracleServicer

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))  # one request at a time, as keras-tuner's
    servicer = OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        port = server.add_insecure_port(address())
    except RuntimeError as error:
        port, reason = 0, str(error)
    else:
        reason = "port in use?"
    if not port:
        raise TicketsError(f"the chief cannot listen on {address()} ({reason})")
    server.start()
    told = len(oracle.end_order)
    try:
        while True:
            for trial_id in oracle.end_order[told:]:
                on_ended(oracle.trials[trial_id])
            told = len(oracle.end_order)
            if servicer.stop_triggered and not oracle.ongoing_trials:
                break
            time.sleep(poll_seconds)
        time.sleep(grace_seconds)
    finally:
        server.stop(grace=1).wait()
