"""The per-server sliding window: bucket rotation on an injected clock, percentiles from the
histogram, shares, statuses, errors by kind, and the per-second latency series."""

from __future__ import annotations

import pytest

from lbtui.core.traffic.outcome import ErrorKind, Outcome, classify_status
from lbtui.core.traffic.window import UNKNOWN_SERVER, SlidingWindow


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ok(server: str, ms: float, status: int = 200) -> Outcome:
    kind = classify_status(status)
    return Outcome(0.0, ms / 1000, server, status, kind, None if kind is None else f"http {status}")


def refused() -> Outcome:
    return Outcome(0.0, 0.001, error=ErrorKind.REFUSED, detail="ConnectError")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_old_buckets_leave_the_window_and_stay_in_the_totals(clock: Clock) -> None:
    window = SlidingWindow(window_s=10, bucket_s=1, clock=clock)
    for _ in range(5):
        window.record(ok("web1", 2))
    clock.now += 4.5
    for _ in range(3):
        window.record(ok("web2", 3))
    early = window.snapshot()
    assert [(f.server, f.requests) for f in early.window] == [("web1", 5), ("web2", 3)]
    assert early.covered_s == pytest.approx(4.5)
    # 10.5 s after the start, web1's bucket (second 0) has left the 10 s window.
    clock.now += 6.0
    late = window.snapshot()
    assert [(f.server, f.requests) for f in late.window] == [("web2", 3)]
    assert [(f.server, f.requests) for f in late.totals] == [("web1", 5), ("web2", 3)]
    assert late.covered_s == pytest.approx(10.0 - 0.5)
    # Long after: nothing in the window, the totals unchanged.
    clock.now += 60
    idle = window.snapshot()
    assert idle.window == ()
    assert idle.window_rate == 0.0
    assert idle.total("web1") is not None and idle.total("web1").requests == 5  # type: ignore[union-attr]


def test_a_reused_slot_starts_empty(clock: Clock) -> None:
    window = SlidingWindow(window_s=3, bucket_s=1, clock=clock)
    window.record(ok("web1", 1))
    clock.now += 3.0  # the same slot (3 % 3 == 0), a new second
    window.record(ok("web1", 1))
    figures = window.snapshot().in_window("web1")
    assert figures is not None and figures.requests == 1


def test_percentiles_come_from_the_merged_buckets(clock: Clock) -> None:
    window = SlidingWindow(window_s=10, bucket_s=1, clock=clock)
    for ms in range(1, 101):
        window.record(ok("web1", ms))
        clock.now += 0.05  # 100 requests spread over 5 buckets
    latency = window.snapshot().in_window("web1").latency  # type: ignore[union-attr]
    assert latency.count == 100
    assert latency.p50_ms == pytest.approx(50, rel=0.011)
    assert latency.p90_ms == pytest.approx(90, rel=0.011)
    assert latency.p99_ms == pytest.approx(99, rel=0.011)
    assert latency.max_ms == pytest.approx(100, rel=0.011)


def test_shares_statuses_and_errors_per_server(clock: Clock) -> None:
    window = SlidingWindow(clock=clock)
    for _ in range(6):
        window.record(ok("web1", 1))
    window.record(ok("web2", 1))
    window.record(ok("web2", 1, status=503))
    window.record(ok("web2", 1, status=404))
    window.record(refused())
    snapshot = window.snapshot()
    web1, web2, unknown = (snapshot.in_window(n) for n in ("web1", "web2", UNKNOWN_SERVER))
    assert web1 is not None and web2 is not None and unknown is not None
    assert (web1.share, web2.share, unknown.share) == (0.6, 0.3, 0.1)
    assert web2.statuses == {200: 1, 404: 1, 503: 1}
    assert web2.errors == {ErrorKind.SERVER_ERROR: 1, ErrorKind.OTHER: 1}
    assert (web2.ok, web2.failed) == (1, 2)
    # A request with no answer has no status and no latency, only its kind.
    assert unknown.errors == {ErrorKind.REFUSED: 1}
    assert unknown.statuses == {} and unknown.latency.count == 0
    assert web2.as_dict()["statuses"] == {"200": 1, "404": 1, "503": 1}
    assert web2.as_dict()["errors"] == {"5xx": 1, "other": 1}


def test_each_closed_second_adds_one_series_point_per_server(clock: Clock) -> None:
    started = clock.now
    window = SlidingWindow(window_s=10, bucket_s=1, clock=clock)
    window.record(ok("web1", 2))
    window.record(ok("web1", 4))
    window.record(refused())
    assert window.snapshot().series == {}  # second 0 is still open
    clock.now += 1.2
    window.record(ok("web1", 10))
    clock.now += 2.0  # second 1 closes; second 2 had nothing: no point for it
    series = window.snapshot().series
    assert [p.at - started for p in series["web1"]] == [0.0, 1.0]
    first, second = series["web1"]
    assert first.requests == 2 and first.failed == 0
    assert first.p50_ms == pytest.approx(2, rel=0.011)
    assert first.p99_ms == pytest.approx(4, rel=0.011)
    assert second.p50_ms == pytest.approx(10, rel=0.011)
    # The requests that never got an answer: a point with their count, no latency.
    (nothing,) = series[UNKNOWN_SERVER]
    assert (nothing.requests, nothing.failed, nothing.p50_ms) == (1, 1, None)


def test_the_series_is_bounded(clock: Clock) -> None:
    window = SlidingWindow(window_s=2, bucket_s=1, series_points=5, clock=clock)
    for _ in range(12):
        window.record(ok("web1", 1))
        clock.now += 1.0
    points = window.snapshot().series["web1"]
    assert len(points) == 5
    assert points[-1].at - points[0].at == 4.0


def test_a_bucket_longer_than_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="bucket"):
        SlidingWindow(window_s=1, bucket_s=2)
