"""The traffic generator against real local servers: busybox httpd and a tiny faulty server."""

from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally

BUSYBOX = shutil.which("busybox")


def run_traffic(spec: TrafficSpec) -> TrafficTally:
    """A whole bounded run through the generator's public API, as `lbtui traffic` drives it."""
    generator = TrafficGenerator(spec)
    generator.start()
    generator.wait(spec.deadline_s + spec.timeout_s + 5.0)
    return generator.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int, deadline_s: float = 5.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {deadline_s} s")


@pytest.fixture
def busybox_server(tmp_path: Path) -> Iterator[str]:
    """A busybox httpd on a loopback port whose page says `served by bb1`."""
    if BUSYBOX is None:
        pytest.skip("busybox is not installed")
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("<h1>served by bb1</h1>\n")
    port = _free_port()
    process = subprocess.Popen(
        [BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(www)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=5)


class _Recorder:
    """What the faulty server saw: one entry per client connection (its source port)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.client_ports: set[int] = set()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client asks otherwise
    recorder: _Recorder
    served = 0

    def do_GET(self) -> None:
        with self.recorder.lock:
            self.recorder.client_ports.add(self.client_address[1])
            _Handler.served += 1
            turn = _Handler.served
        if self.path == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path == "/error":
            self._answer(500, "boom")
            return
        if self.path == "/slow":
            time.sleep(0.5)
        # Alternates like a round-robin LB, naming the server in the header.
        self._answer(200, "ok", server=f"srv{turn % 2 + 1}")

    def _answer(self, status: int, body: str, server: str | None = None) -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        if server is not None:
            self.send_header("X-Served-By", server)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request log."""


class _QuietServer(ThreadingHTTPServer):
    """Expects clients to hang up on `/slow` (their timeout); anything else is reported."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@pytest.fixture
def faulty_server() -> Iterator[tuple[str, _Recorder]]:
    """A local HTTP/1.1 server: `/` names a server, `/error` 500s, `/close` hangs up."""
    recorder = _Recorder()
    handler = type("Handler", (_Handler,), {"recorder": recorder})
    server = _QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_busybox_pages_are_tallied_by_their_text(busybox_server: str) -> None:
    tally = run_traffic(TrafficSpec(url=busybox_server, rate=200, count=40, connections=2))
    assert (tally.sent, tally.ok, tally.failed) == (40, 40, 0)
    assert tally.servers == {"bb1": 40}
    assert tally.finished_reason == "count reached"
    assert 0 < tally.latency.p50_ms <= tally.latency.p99_ms <= tally.latency.max_ms


def test_the_rate_is_paced(busybox_server: str) -> None:
    started = time.monotonic()
    tally = run_traffic(TrafficSpec(url=busybox_server, rate=50, count=50, connections=2))
    took = time.monotonic() - started
    assert tally.ok == 50
    # 50 requests at 50/s: the last one is due at 0.98 s; far less would mean no pacing.
    assert 0.9 <= took <= 3.0
    assert 35 <= tally.achieved_rate <= 60


def test_duration_bounds_the_run(busybox_server: str) -> None:
    tally = run_traffic(TrafficSpec(url=busybox_server, rate=100, duration_s=0.5))
    assert tally.finished_reason == "duration elapsed"
    assert 40 <= tally.sent <= 51
    assert tally.failed == 0


def test_fresh_mode_opens_a_connection_per_request(
    faulty_server: tuple[str, _Recorder],
) -> None:
    url, recorder = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/", rate=200, count=30, connections=2))
    assert tally.ok == 30
    assert len(recorder.client_ports) == 30


def test_keepalive_mode_reuses_its_pool(faulty_server: tuple[str, _Recorder]) -> None:
    url, recorder = faulty_server
    spec = TrafficSpec(url=url + "/", rate=200, count=30, mode="keepalive", connections=2)
    tally = run_traffic(spec)
    assert tally.ok == 30
    assert len(recorder.client_ports) <= 2


def test_the_header_tallies_alternating_servers_in_order(
    faulty_server: tuple[str, _Recorder],
) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/", rate=100, count=20, connections=1))
    assert tally.servers == {"srv1": 10, "srv2": 10}
    names = [r.server for r in tally.recent]
    assert all(a != b for a, b in itertools.pairwise(names))
    assert tally.recent_shares() == {"srv1": 0.5, "srv2": 0.5}


def test_error_statuses_count_as_failures(faulty_server: tuple[str, _Recorder]) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/error", rate=100, count=10))
    assert (tally.ok, tally.failed) == (0, 10)
    assert tally.errors == {"http 500": 10}


def test_dropped_connections_count_as_failures(faulty_server: tuple[str, _Recorder]) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/close", rate=100, count=6, timeout_s=2))
    assert (tally.ok, tally.failed) == (0, 6)
    assert sum(tally.errors.values()) == 6
    assert set(tally.errors) <= {"RemoteProtocolError", "ReadError"}


def test_refused_connections_count_as_failures() -> None:
    tally = run_traffic(TrafficSpec(url=f"http://127.0.0.1:{_free_port()}/", rate=50, count=5))
    assert (tally.ok, tally.failed) == (0, 5)
    assert tally.errors == {"ConnectError": 5}


def test_connect_retries_carry_requests_over_a_port_that_opens_late() -> None:
    # Nothing listens for the first 0.3 s, as while an LB hands its port to a new one.
    port = _free_port()
    handler = type("Handler", (_Handler,), {"recorder": _Recorder()})
    servers: list[_QuietServer] = []

    def open_port() -> None:
        server = _QuietServer(("127.0.0.1", port), handler)
        server.daemon_threads = True
        servers.append(server)
        server.serve_forever()

    opener = threading.Timer(0.3, open_port)
    opener.start()
    try:
        spec = TrafficSpec(url=f"http://127.0.0.1:{port}/", rate=50, count=3, connect_retries=3)
        tally = run_traffic(spec)
    finally:
        opener.cancel()  # in case the run ended before the port opened
        for server in servers:
            server.shutdown()
            server.server_close()
        opener.join(5.0)
    assert (tally.ok, tally.failed) == (3, 0), tally.errors


def test_timeouts_count_as_failures(faulty_server: tuple[str, _Recorder]) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/slow", rate=50, count=2, timeout_s=0.1))
    assert tally.errors == {"ReadTimeout": 2}


def test_stop_ends_a_long_run_at_once(faulty_server: tuple[str, _Recorder]) -> None:
    url, _ = faulty_server
    generator = TrafficGenerator(TrafficSpec(url=url + "/", rate=50, duration_s=60))
    generator.start()
    deadline = time.monotonic() + 5
    while generator.tally().ok < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert generator.running
    started = time.monotonic()
    tally = generator.stop()
    assert time.monotonic() - started < 1.0
    assert not generator.running
    assert tally.finished_reason == "stopped"
    assert 5 <= tally.sent < 100
    assert tally.in_flight == 0


def test_a_generator_refuses_targets_outside_the_lab() -> None:
    from lbtui.core.errors import BadInput

    with pytest.raises(BadInput, match="outside"):
        TrafficGenerator(TrafficSpec(url="http://192.0.2.1/"))
