"""Answers "can we download from this URL?" within a hard time limit.

Without a network, TFDS's download retries DNS for minutes before failing. A daemon thread
resolves the host, connects and sends one HEAD request (over verified TLS for https), and we stop
waiting after `timeout` seconds, so a hanging resolver cannot hang us. A bare TCP connect is not
enough: sandboxes and transparent proxies accept every connection, then refuse the request.
`TF_TICKETS_OFFLINE=1` skips the probe and means offline; `TF_TICKETS_OFFLINE=0` skips it and means online.
"""
import http.client
import os
import ssl
import threading
import time
from typing import Optional
from urllib.parse import urlsplit

OFFLINE_ENV = "TF_TICKETS_OFFLINE"


def forced() -> Optional[bool]:
    """True/False when TF_TICKETS_OFFLINE says offline/online, None when the probe should decide."""
    value = os.environ.get(OFFLINE_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def _head_ok(url: str, deadline: float) -> bool:
    parts = urlsplit(url)
    remaining = max(0.1, deadline - time.monotonic())
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=remaining,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
    try:
        conn.request("HEAD", parts.path or "/")
        status = conn.getresponse().status
    finally:
        conn.close()
    return status < 400 or status == 405  # 405: the server is there but dislikes HEAD


def can_reach(url: str, timeout: float = 3.0) -> bool:
    """True if `url` answered a HEAD request within `timeout` seconds (DNS included)."""
    offline = forced()
    if offline is not None:
        return not offline
    result = []
    deadline = time.monotonic() + timeout

    def probe():
        try:
            result.append(_head_ok(url, deadline))
        except (OSError, http.client.HTTPException, ValueError):
            result.append(False)

    thread = threading.Thread(target=probe, name="tf_tickets-netprobe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])
