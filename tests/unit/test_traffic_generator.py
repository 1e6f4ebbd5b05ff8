"""The traffic generator against real local servers: busybox httpd and a tiny faulty server."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec, run_traffic
from tests.unit._traffic_servers import Recorder, faulty_http_server, free_port, wait_listening

BUSYBOX = shutil.which("busybox")


@pytest.fixture
def busybox_server(tmp_path: Path) -> Iterator[str]:
    """A busybox httpd on a loopback port whose page says `served by bb1`."""
    if BUSYBOX is None:
        pytest.skip("busybox is not installed")
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("<h1>served by bb1</h1>\n")
    port = free_port()
    process = subprocess.Popen(
        [BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(www)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=5)


@pytest.fixture
def faulty_server() -> Iterator[tuple[str, Recorder]]:
    """A local HTTP/1.1 server: `/` names a server, `/error` 500s, `/close` hangs up."""
    with faulty_http_server() as served:
        yield served


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
    faulty_server: tuple[str, Recorder],
) -> None:
    url, recorder = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/", rate=200, count=30, connections=2))
    assert tally.ok == 30
    assert len(recorder.client_ports) == 30


def test_keepalive_mode_reuses_its_pool(faulty_server: tuple[str, Recorder]) -> None:
    url, recorder = faulty_server
    spec = TrafficSpec(url=url + "/", rate=200, count=30, mode="keepalive", connections=2)
    tally = run_traffic(spec)
    assert tally.ok == 30
    assert len(recorder.client_ports) <= 2


def test_switching_to_fresh_leaves_the_pool_for_a_connection_per_request(
    faulty_server: tuple[str, Recorder],
) -> None:
    url, recorder = faulty_server
    spec = TrafficSpec(url=url + "/", rate=200, count=80, mode="keepalive", connections=2)
    generator = TrafficGenerator(spec)
    generator.start()
    deadline = time.monotonic() + 5
    while generator.tally().ok < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    with recorder.lock:
        pooled = len(recorder.client_ports)
    generator.set_mode("fresh")
    answered_before = generator.tally().ok
    assert generator.wait(10)
    tally = generator.stop()
    assert tally.ok == 80 and pooled <= 2
    # Every request after the switch on a new connection, but the (at most 2) in flight then.
    assert len(recorder.client_ports) - pooled >= 80 - answered_before - 2


def test_the_header_tallies_alternating_servers_in_order(
    faulty_server: tuple[str, Recorder],
) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/", rate=100, count=20, connections=1))
    assert tally.servers == {"srv1": 10, "srv2": 10}
    names = [r.server for r in tally.recent]
    assert all(a != b for a, b in itertools.pairwise(names))
    assert tally.recent_shares() == {"srv1": 0.5, "srv2": 0.5}


def test_error_statuses_count_as_failures(faulty_server: tuple[str, Recorder]) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/error", rate=100, count=10))
    assert (tally.ok, tally.failed) == (0, 10)
    assert tally.errors == {"http 500": 10}


def test_dropped_connections_count_as_failures(faulty_server: tuple[str, Recorder]) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/close", rate=100, count=6, timeout_s=2))
    assert (tally.ok, tally.failed) == (0, 6)
    assert sum(tally.errors.values()) == 6
    assert set(tally.errors) <= {"RemoteProtocolError", "ReadError"}


def test_refused_connections_count_as_failures() -> None:
    tally = run_traffic(TrafficSpec(url=f"http://127.0.0.1:{free_port()}/", rate=50, count=5))
    assert (tally.ok, tally.failed) == (0, 5)
    assert tally.errors == {"ConnectError": 5}


def test_connect_retries_carry_requests_over_a_port_that_opens_late(tmp_path: Path) -> None:
    # Nothing listens for the first 0.3 s, as while an LB hands its port to a new one.
    if BUSYBOX is None:
        pytest.skip("busybox is not installed")
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("<h1>served by late</h1>\n")
    port = free_port()
    started: list[subprocess.Popen[bytes]] = []
    command = [BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(www)]
    opener = threading.Timer(0.3, lambda: started.append(subprocess.Popen(command)))
    opener.start()
    try:
        spec = TrafficSpec(url=f"http://127.0.0.1:{port}/", rate=50, count=3, connect_retries=3)
        tally = run_traffic(spec)
    finally:
        opener.cancel()
        opener.join(5.0)
        for process in started:
            process.terminate()
            process.wait(timeout=5)
    assert (tally.ok, tally.failed) == (3, 0), tally.errors
    assert dict(tally.servers) == {"late": 3}


def test_timeouts_count_as_failures(faulty_server: tuple[str, Recorder]) -> None:
    url, _ = faulty_server
    tally = run_traffic(TrafficSpec(url=url + "/slow", rate=50, count=2, timeout_s=0.1))
    assert tally.errors == {"ReadTimeout": 2}


def test_stop_ends_a_long_run_at_once(faulty_server: tuple[str, Recorder]) -> None:
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
