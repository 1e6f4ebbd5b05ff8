"""Continuous traffic: rate steps, a rate and a connection mode changed while running, a prompt
stop with requests hanging, and the bounds, against a real local HTTP server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from lbtui.core.errors import BadInput
from lbtui.core.traffic.control import (
    CONTINUOUS_CONNECTIONS,
    CONTINUOUS_LIMIT_S,
    ContinuousTraffic,
    continuous_spec,
    step_rate,
)
from lbtui.core.traffic.generator import TrafficGenerator
from tests.unit._traffic_servers import Recorder, faulty_http_server


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    with faulty_http_server() as served:
        yield served


def _wait(condition: Callable[[], bool], bound_s: float = 5.0) -> None:
    deadline = time.monotonic() + bound_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("rate", "steps", "expected"),
    [
        (20, 1, 50),
        (20, -1, 10),
        (1, -1, 1),
        (1000, 1, 1000),
        (3, 1, 5),
        (3, -1, 2),
        (20, 3, 200),
    ],
)
def test_rate_steps(rate: float, steps: int, expected: float) -> None:
    assert step_rate(rate, steps) == expected


def test_a_continuous_run_is_bounded_to_ten_minutes_and_a_thousand_per_second() -> None:
    spec = continuous_spec("http://127.0.0.1/", 20, "fresh")
    assert spec.duration_s == CONTINUOUS_LIMIT_S == 600
    assert spec.count is None and spec.connections == CONTINUOUS_CONNECTIONS
    with pytest.raises(BadInput, match="up to 1000"):
        continuous_spec("http://127.0.0.1/", 1500, "fresh")
    with pytest.raises(BadInput, match="rate 0"):
        ContinuousTraffic("http://127.0.0.1/").set_rate(0)
    with pytest.raises(BadInput, match="mode"):
        ContinuousTraffic("http://127.0.0.1/").set_mode("pipelined")  # type: ignore[arg-type]


def test_the_rate_changes_while_running(server: tuple[str, Recorder]) -> None:
    url, _ = server
    traffic = ContinuousTraffic(url + "/", rate=10)
    traffic.start()
    try:
        time.sleep(1.0)
        slow = traffic.tally_or_empty().sent
        assert traffic.faster() == 20
        assert traffic.set_rate(200) == 200
        before = traffic.tally_or_empty().sent
        began = time.monotonic()
        _wait(lambda: traffic.tally_or_empty().sent >= before + 100, bound_s=12.0)
        took = time.monotonic() - began
    finally:
        tally = traffic.stop()
    # Pacing bounds, not speed: a busy machine may send less, never more than asked.
    assert 1 <= slow <= 13, slow
    # 100 requests at the old 10/s take 10 s; at 200/s half a second, with room for a
    # loaded machine. Only a rate that really changed gets under 8 s.
    assert took < 8.0, took
    assert tally is not None and tally.target_rate == 200 and tally.failed == 0


def test_the_mode_toggles_while_running(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    traffic = ContinuousTraffic(url + "/", rate=100, mode="fresh")
    traffic.start()
    try:
        _wait(lambda: traffic.tally_or_empty().ok >= 40)
        with recorder.lock:
            fresh_ports = len(recorder.client_ports)
        assert traffic.toggle_mode() == "keepalive"
        # Let the requests sent before the switch (fresh ones) arrive first.
        flushed = traffic.tally_or_empty().ok + 20
        _wait(lambda: traffic.tally_or_empty().ok >= flushed)
        with recorder.lock:
            before = len(recorder.client_ports)
        _wait(lambda: traffic.tally_or_empty().ok >= flushed + 60)
        with recorder.lock:
            new_ports = len(recorder.client_ports) - before
        assert traffic.tally_or_empty().mode == "keepalive"
    finally:
        traffic.stop()
    assert fresh_ports >= 40
    # 60 requests over at most one kept-alive connection per worker (fresh: 60 connections).
    assert new_ports <= CONTINUOUS_CONNECTIONS, new_ports


def test_stop_is_prompt_with_requests_hanging(server: tuple[str, Recorder]) -> None:
    url, _ = server
    traffic = ContinuousTraffic(url + "/hang", rate=50)
    traffic.start()
    _wait(lambda: traffic.tally_or_empty().sent >= CONTINUOUS_CONNECTIONS)
    started = time.monotonic()
    tally = traffic.stop()
    took = time.monotonic() - started
    assert took < 1.5, took
    assert not traffic.running
    assert tally is not None and tally.finished_reason == "stopped"
    # The hanging requests are reported as in flight, not as answered or failed.
    assert tally.in_flight > 0 and tally.done == 0


def test_start_stop_and_start_again(server: tuple[str, Recorder]) -> None:
    url, _ = server
    traffic = ContinuousTraffic(url + "/", rate=50)
    assert traffic.tally() is None and not traffic.running
    assert traffic.toggle() is True
    _wait(lambda: traffic.tally_or_empty().ok >= 5)
    assert traffic.toggle() is False
    first = traffic.tally()
    assert traffic.toggle() is True
    second = traffic.tally()
    traffic.stop()
    assert first is not None and second is not None and second.sent < first.sent


def test_a_generator_stops_by_itself_at_its_time_bound(server: tuple[str, Recorder]) -> None:
    url, _ = server
    spec = continuous_spec(url + "/", 50, "keepalive")
    short = type(spec)(**{**spec.__dict__, "duration_s": 0.5})
    generator = TrafficGenerator(short)
    generator.start()
    assert generator.wait(3.0)
    assert generator.tally().finished_reason == "duration elapsed"
