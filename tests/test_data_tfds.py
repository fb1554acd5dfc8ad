"""The TFDS path: fails fast and clearly offline; loads arrays of the right kind when TFDS has data."""
import http.server
import socket
import threading
import time

import numpy as np
import pytest

from tf_tickets.data import datasets, load, netprobe, specs
from tf_tickets.errors import TicketsError

tfds = pytest.importorskip("tensorflow_datasets")


def test_forced_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TF_TICKETS_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(TicketsError) as error:
        load("cifar10")
    assert time.monotonic() - start < 15
    message = str(error.value)
    assert "\n" not in message and "--data_dir" in message and "cifar-10-python.tar.gz" in message
    assert message.startswith("cifar10 is not available offline")


@pytest.mark.parametrize("name", ["mnist", "cifar100"])
def test_real_probe_fails_fast(tmp_path, monkeypatch, name):
    monkeypatch.delenv("TF_TICKETS_OFFLINE", raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    if netprobe.can_reach(specs.SPECS[name].download_url):
        pytest.skip("the download server is reachable: the offline failure cannot be observed here")
    start = time.monotonic()
    with pytest.raises(TicketsError, match=f"{name} is not available offline: .*--data_dir=DIR"):
        load(name)
    assert time.monotonic() - start < 15


@pytest.fixture
def local_server():
    """A real HTTP server on localhost answering HEAD with the status the test asks for."""
    servers = []

    def start(status):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self):
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/file.gz"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_probe_answers(local_server, monkeypatch):
    monkeypatch.delenv("TF_TICKETS_OFFLINE", raising=False)
    assert netprobe.can_reach(local_server(200)) is True
    assert netprobe.can_reach(local_server(404)) is False
    assert netprobe.can_reach(local_server(426)) is False  # what a transparent proxy answers
    monkeypatch.setenv("TF_TICKETS_OFFLINE", "1")
    assert netprobe.can_reach(local_server(200)) is False
    monkeypatch.setenv("TF_TICKETS_OFFLINE", "0")
    assert netprobe.can_reach("http://127.0.0.1:9/") is True


def test_probe_gives_up_on_time(monkeypatch):
    """A server that accepts the connection and never answers must not hold us past the limit."""
    monkeypatch.delenv("TF_TICKETS_OFFLINE", raising=False)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        start = time.monotonic()
        assert netprobe.can_reach(f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=0.5) is False
        assert time.monotonic() - start < 2


@pytest.mark.parametrize("name, shape", [("cifar10", (32, 32, 3)), ("fashion_mnist", (28, 28, 1)),
                                         ("cifar100", (32, 32, 3))])
def test_tfds_arrays(tmp_path, monkeypatch, name, shape):
    """TFDS's own fake examples (mock_data) go through our loading code unchanged in structure."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TF_TICKETS_OFFLINE", raising=False)
    monkeypatch.setitem(datasets.SYSTEM_DIRS, "fashion_mnist", [])
    # mock_data replaces TFDS's download with a no-op; say the server answered so that path is taken
    monkeypatch.setattr(netprobe, "can_reach", lambda *args, **kwargs: True)
    with tfds.testing.mock_data(num_examples=12):
        data = load(name)
    spec = specs.SPECS[name]
    assert data.name == name and data.num_classes == spec.num_classes
    assert data.x_train.shape == (12, *shape) and data.x_test.shape == (12, *shape)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64 and data.y_test.shape == (12,)
    assert 0 <= data.y_train.min() and data.y_train.max() < spec.num_classes
    assert data.mean == spec.mean and data.augment == spec.augment
