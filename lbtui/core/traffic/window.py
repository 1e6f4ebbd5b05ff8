"""Per-server figures over a sliding window of time buckets, totals since the start, and a
per-second latency series for a chart.

`SlidingWindow.record(outcome)` adds one finished request to the current bucket (one second by
default) and to the totals; buckets older than the window are reused, never kept. `snapshot()`
merges the window's buckets per server (HdrHistogram additions, in C) and returns a frozen
`WindowSnapshot`: its cost is servers x buckets histogram additions plus one percentile walk per
server, whatever the request rate. When a bucket closes, each server's p50/p99 for that second
becomes one point of the latency series.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lbtui.core.traffic.latency import LatencyHistogram, LatencySummary
from lbtui.core.traffic.outcome import ErrorKind, Outcome

#: Row used for requests that named no server (no answer, or an answer without the header).
UNKNOWN_SERVER = "?"
DEFAULT_WINDOW_S = 10.0
DEFAULT_BUCKET_S = 1.0
#: Series points kept per server: ten minutes at one a second, the longest continuous run.
DEFAULT_SERIES_POINTS = 600


@dataclass(frozen=True)
class ServerFigures:
    """One server's requests, share, latency, errors and statuses over some span."""

    server: str
    requests: int
    ok: int
    share: float
    """This server's fraction (0..1) of all requests in the span."""
    latency: LatencySummary
    """Over the answered requests (any status)."""
    errors: Mapping[ErrorKind, int] = field(default_factory=dict)
    statuses: Mapping[int, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Requests that were not answered with a 2xx."""
        return self.requests - self.ok

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (status codes become strings, as JSON keys must)."""
        return {
            "requests": self.requests,
            "ok": self.ok,
            "failed": self.failed,
            "share": round(self.share, 4),
            "latency_ms": self.latency.as_dict(),
            "errors": {str(kind): count for kind, count in self.errors.items()},
            "statuses": {str(status): count for status, count in self.statuses.items()},
        }


@dataclass(frozen=True)
class SeriesPoint:
    """One server's figures for one closed bucket."""

    at: float
    """The bucket's start, on the window's clock (monotonic seconds by default)."""
    p50_ms: float | None
    """None when no request got an answer in that bucket."""
    p99_ms: float | None
    requests: int
    failed: int


@dataclass(frozen=True)
class WindowSnapshot:
    """Per-server figures over the last `window_s` seconds and since the start, frozen."""

    started: float = 0.0
    """The window's origin on its clock: series points are `at - started` seconds in."""
    now: float = 0.0
    window_s: float = DEFAULT_WINDOW_S
    bucket_s: float = DEFAULT_BUCKET_S
    covered_s: float = 0.0
    """How many seconds the window figures span (less than `window_s` early in a run)."""
    window: tuple[ServerFigures, ...] = ()
    totals: tuple[ServerFigures, ...] = ()
    series: Mapping[str, tuple[SeriesPoint, ...]] = field(default_factory=dict)

    @property
    def window_requests(self) -> int:
        """Requests finished within the window, every server together."""
        return sum(figures.requests for figures in self.window)

    @property
    def window_rate(self) -> float:
        """Requests finished per second over the window."""
        return self.window_requests / self.covered_s if self.covered_s > 0 else 0.0

    def in_window(self, server: str) -> ServerFigures | None:
        """One server's window figures, if it finished any request in the window."""
        return next((f for f in self.window if f.server == server), None)

    def total(self, server: str) -> ServerFigures | None:
        """One server's figures since the start."""
        return next((f for f in self.totals if f.server == server), None)


class _Cell:
    """Mutable counts of one server in one bucket (or since the start)."""

    __slots__ = ("errors", "latency", "ok", "requests", "statuses")

    def __init__(self) -> None:
        self.requests = 0
        self.ok = 0
        self.errors: Counter[ErrorKind] = Counter()
        self.statuses: Counter[int] = Counter()
        self.latency = LatencyHistogram()

    def add(self, outcome: Outcome) -> None:
        self.requests += 1
        if outcome.error is None:
            self.ok += 1
        else:
            self.errors[outcome.error] += 1
        if outcome.status is not None:
            self.statuses[outcome.status] += 1
            self.latency.add(outcome.latency_s)

    def merge(self, other: _Cell) -> None:
        self.requests += other.requests
        self.ok += other.ok
        self.errors.update(other.errors)
        self.statuses.update(other.statuses)
        self.latency.merge(other.latency)


@dataclass
class _Bucket:
    index: int
    cells: dict[str, _Cell] = field(default_factory=dict)


def _figures(cells: Mapping[str, _Cell]) -> tuple[ServerFigures, ...]:
    everyone = sum(cell.requests for cell in cells.values())
    return tuple(
        ServerFigures(
            server=name,
            requests=cell.requests,
            ok=cell.ok,
            share=cell.requests / everyone if everyone else 0.0,
            latency=cell.latency.summary(),
            errors=dict(sorted(cell.errors.items())),
            statuses=dict(sorted(cell.statuses.items())),
        )
        for name, cell in sorted(cells.items())
    )


class SlidingWindow:
    """Thread-safe per-server accumulator over rotating time buckets."""

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        bucket_s: float = DEFAULT_BUCKET_S,
        series_points: int = DEFAULT_SERIES_POINTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < bucket_s <= window_s:
            raise ValueError(f"bucket {bucket_s:g} s must be > 0 and <= the window {window_s:g} s")
        self.window_s = window_s
        self.bucket_s = bucket_s
        self._slots: list[_Bucket | None] = [None] * math.ceil(window_s / bucket_s)
        self._series_points = series_points
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._current = 0
        self._totals: dict[str, _Cell] = {}
        self._series: dict[str, deque[SeriesPoint]] = {}
        # Rebuilt once per closed bucket, so a snapshot does not copy the series.
        self._frozen_series: dict[str, tuple[SeriesPoint, ...]] = {}

    def record(self, outcome: Outcome) -> None:
        """Count one finished request in the bucket of now."""
        name = outcome.server or UNKNOWN_SERVER
        with self._lock:
            bucket = self._advance(self._clock())
            cell = bucket.cells.get(name)
            if cell is None:
                cell = bucket.cells[name] = _Cell()
            cell.add(outcome)
            total = self._totals.get(name)
            if total is None:
                total = self._totals[name] = _Cell()
            total.add(outcome)

    def snapshot(self) -> WindowSnapshot:
        """The window's and the totals' figures per server, and the series, frozen."""
        window: dict[str, _Cell] = {}
        totals: dict[str, _Cell] = {}
        with self._lock:
            now = self._clock()
            self._advance(now)
            # Only the additions (C) happen under the lock; percentiles are read after it.
            for bucket in self._live_buckets():
                for name, cell in bucket.cells.items():
                    window.setdefault(name, _Cell()).merge(cell)
            for name, cell in self._totals.items():
                totals.setdefault(name, _Cell()).merge(cell)
            series = dict(self._frozen_series)
        oldest = self._started + (self._current - len(self._slots) + 1) * self.bucket_s
        return WindowSnapshot(
            started=self._started,
            now=now,
            window_s=self.window_s,
            bucket_s=self.bucket_s,
            covered_s=max(0.0, now - max(self._started, oldest)),
            window=_figures(window),
            totals=_figures(totals),
            series=series,
        )

    def _live_buckets(self) -> list[_Bucket]:
        first = self._current - len(self._slots) + 1
        return [b for b in self._slots if b is not None and first <= b.index <= self._current]

    def _advance(self, now: float) -> _Bucket:
        """The bucket of `now`; closing the previous one adds its series points."""
        index = max(int((now - self._started) // self.bucket_s), self._current)
        slot = index % len(self._slots)
        bucket = self._slots[slot]
        if bucket is not None and bucket.index == index:
            return bucket
        if index != self._current:
            self._close(self._current)
            self._current = index
        bucket = self._slots[slot] = _Bucket(index)
        return bucket

    def _close(self, index: int) -> None:
        bucket = self._slots[index % len(self._slots)]
        if bucket is None or bucket.index != index:
            return
        at = self._started + index * self.bucket_s
        for name, cell in bucket.cells.items():
            points = self._series.get(name)
            if points is None:
                points = self._series[name] = deque(maxlen=self._series_points)
            answered = cell.latency.count > 0
            points.append(
                SeriesPoint(
                    at=at,
                    p50_ms=cell.latency.percentile_ms(50.0) if answered else None,
                    p99_ms=cell.latency.percentile_ms(99.0) if answered else None,
                    requests=cell.requests,
                    failed=cell.requests - cell.ok,
                )
            )
        self._frozen_series = {name: tuple(points) for name, points in sorted(self._series.items())}
