"""What the traffic generator counted: a thread-safe accumulator and its frozen snapshots.

`Tallier` is fed one `Outcome` per finished request by the generator's worker threads;
`Tallier.snapshot()` returns a `TrafficTally` that the CLI prints and the dashboard shows, and
that never changes: overall counts, the recent strip, overall latency (HdrHistogram) and, in
`figures`, the per-server sliding window, totals and latency series.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from lbtui.core.traffic.latency import LatencyHistogram, LatencySummary
from lbtui.core.traffic.outcome import ErrorKind, Outcome
from lbtui.core.traffic.window import UNKNOWN_SERVER, SlidingWindow, WindowSnapshot

__all__ = ["UNKNOWN_SERVER", "LatencySummary", "Tallier", "TrafficTally"]

#: Failures kept with their time, so a test can ask "any failure after t?".
FAILURE_LOG_LIMIT = 1000


@dataclass(frozen=True)
class Response:
    """One finished request as the recent-responses strip shows it."""

    server: str | None
    """The server that answered (None when the request failed before any answer)."""
    error: str | None = None
    """The failure kind (e.g. `http 503`, `ConnectError`), None for a 2xx."""

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.error is None


@dataclass(frozen=True)
class Failure:
    """A failed request: when it finished (monotonic seconds) and why."""

    at: float
    kind: str


@dataclass(frozen=True)
class TrafficTally:
    """A frozen picture of a traffic run so far."""

    url: str
    mode: str
    target_rate: float
    elapsed_s: float
    sent: int
    ok: int
    failed: int
    errors: Mapping[str, int] = field(default_factory=dict)
    """Failure detail -> count: `http <status>` or the connection error's class name."""
    error_kinds: Mapping[ErrorKind, int] = field(default_factory=dict)
    """The same failures by kind (refused, reset, timeout, 5xx, other)."""
    servers: Mapping[str, int] = field(default_factory=dict)
    """Server name -> answers (2xx or not) it gave."""
    recent: tuple[Response, ...] = ()
    """The last N finished requests, oldest first: round-robin shows request by request."""
    latency: LatencySummary = field(default_factory=LatencySummary)
    failures: tuple[Failure, ...] = ()
    """The first failures (up to FAILURE_LOG_LIMIT) with their monotonic times."""
    running: bool = False
    finished_reason: str | None = None
    """Why the run ended: `count reached`, `duration elapsed`, `stopped`, `time limit`; None
    while running."""
    figures: WindowSnapshot = field(default_factory=WindowSnapshot)
    """Per server: the sliding window, totals since the start, and the latency series."""

    @property
    def done(self) -> int:
        """Requests that finished, answered or failed."""
        return self.ok + self.failed

    @property
    def in_flight(self) -> int:
        """Requests sent whose outcome is not known yet."""
        return self.sent - self.done

    @property
    def achieved_rate(self) -> float:
        """Requests sent per second since the start."""
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def recent_shares(self) -> dict[str, float]:
        """Each server's share (0..1) of the recent answered requests."""
        named = [r.server for r in self.recent if r.server is not None]
        if not named:
            return {}
        counts = Counter(named)
        return {server: counts[server] / len(named) for server in sorted(counts)}

    def servers_since(self, earlier: TrafficTally) -> dict[str, int]:
        """Answers per server between `earlier` and this tally."""
        names = set(self.servers) | set(earlier.servers)
        return {n: self.servers.get(n, 0) - earlier.servers.get(n, 0) for n in sorted(names)}

    def failures_after(self, at: float) -> tuple[Failure, ...]:
        """Logged failures that finished after monotonic time `at`."""
        return tuple(f for f in self.failures if f.at > at)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (without the failure log's monotonic times)."""
        return {
            "url": self.url,
            "mode": self.mode,
            "target_rate": self.target_rate,
            "elapsed_s": round(self.elapsed_s, 3),
            "sent": self.sent,
            "ok": self.ok,
            "failed": self.failed,
            "in_flight": self.in_flight,
            "achieved_rate": round(self.achieved_rate, 1),
            "errors": dict(self.errors),
            "error_kinds": {str(kind): count for kind, count in self.error_kinds.items()},
            "servers": dict(self.servers),
            "recent": [r.server if r.ok else f"!{r.error}" for r in self.recent],
            "recent_shares": {k: round(v, 3) for k, v in self.recent_shares().items()},
            "latency_ms": self.latency.as_dict(),
            "per_server": {f.server: f.as_dict() for f in self.figures.totals},
            "finished_reason": self.finished_reason,
        }


class Tallier:
    """Accumulates outcomes from many threads; `snapshot()` freezes them."""

    def __init__(
        self,
        url: str,
        mode: str,
        target_rate: float,
        recent_size: int,
        window: SlidingWindow | None = None,
        sink: Callable[[Outcome], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._url = url
        self._mode = mode
        self._target_rate = target_rate
        self._started: float | None = None
        self._ended: float | None = None
        self._finished_reason: str | None = None
        self._sent = 0
        self._ok = 0
        self._failed = 0
        self._errors: Counter[str] = Counter()
        self._kinds: Counter[ErrorKind] = Counter()
        self._servers: Counter[str] = Counter()
        self._recent: deque[Response] = deque(maxlen=recent_size)
        self._latency = LatencyHistogram()
        self._failures: list[Failure] = []
        self._window = window or SlidingWindow()
        self._sink = sink

    def start(self) -> None:
        """Mark the start of the run (the clock of `elapsed_s`)."""
        with self._lock:
            self._started = time.monotonic()

    def finish(self, reason: str) -> None:
        """Mark the end of the run; the first reason given wins."""
        with self._lock:
            if self._ended is None:
                self._ended = time.monotonic()
                self._finished_reason = reason

    def settings(self, mode: str, target_rate: float) -> None:
        """The run's mode or rate changed while it runs."""
        with self._lock:
            self._mode = mode
            self._target_rate = target_rate

    def sent(self) -> None:
        """Count one request about to go out."""
        with self._lock:
            self._sent += 1

    def record(self, outcome: Outcome) -> None:
        """Count one finished request, answered or failed."""
        server = outcome.server or UNKNOWN_SERVER
        with self._lock:
            if outcome.answered:
                self._latency.add(outcome.latency_s)
                self._servers[server] += 1
            if outcome.error is None:
                self._ok += 1
                self._recent.append(Response(server=server))
            else:
                detail = outcome.detail or str(outcome.error)
                self._failed += 1
                self._errors[detail] += 1
                self._kinds[outcome.error] += 1
                self._recent.append(
                    Response(server=server if outcome.answered else None, error=detail)
                )
                if len(self._failures) < FAILURE_LOG_LIMIT:
                    self._failures.append(Failure(at=time.monotonic(), kind=detail))
        self._window.record(outcome)
        if self._sink is not None:
            self._sink(outcome)

    def snapshot(self) -> TrafficTally:
        """The counts so far, frozen."""
        with self._lock:
            now = self._ended if self._ended is not None else time.monotonic()
            elapsed = now - self._started if self._started is not None else 0.0
            latency = LatencyHistogram()
            latency.merge(self._latency)
            tally = TrafficTally(
                url=self._url,
                mode=self._mode,
                target_rate=self._target_rate,
                elapsed_s=elapsed,
                sent=self._sent,
                ok=self._ok,
                failed=self._failed,
                errors=dict(self._errors),
                error_kinds=dict(sorted(self._kinds.items())),
                servers=dict(sorted(self._servers.items())),
                recent=tuple(self._recent),
                failures=tuple(self._failures),
                running=self._started is not None and self._ended is None,
                finished_reason=self._finished_reason,
            )
        # Percentiles are read outside the lock, and the window has its own: workers are not
        # held up while a snapshot is made.
        return replace(tally, latency=latency.summary(), figures=self._window.snapshot())
