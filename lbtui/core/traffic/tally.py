"""What the traffic generator counted: a thread-safe accumulator and its frozen snapshots.

`Tallier` is fed by the generator's worker threads; `Tallier.snapshot()` returns a
`TrafficTally` that the CLI prints and the dashboard shows, and that never changes.
Latencies go into a log-bucket histogram (1 % wide buckets), so a snapshot costs the
same after ten requests as after a million and percentiles are within 1 %.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Server name used when a response names no server (no header, no "served by" text).
UNKNOWN_SERVER = "?"

_MIN_LATENCY_S = 1e-5
_MAX_LATENCY_S = 600.0
_GROWTH = 1.01
_BUCKETS = math.ceil(math.log(_MAX_LATENCY_S / _MIN_LATENCY_S) / math.log(_GROWTH)) + 1
#: Failures kept with their time, so a test can ask "any failure after t?".
FAILURE_LOG_LIMIT = 1000


@dataclass(frozen=True)
class LatencySummary:
    """Latency percentiles of the answered requests, in milliseconds (0 when none)."""

    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0


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
    """Failure kind -> count: `http <status>` or the connection error's class name."""
    servers: Mapping[str, int] = field(default_factory=dict)
    """Server name -> answers (2xx or not) it gave."""
    recent: tuple[Response, ...] = ()
    """The last N finished requests, oldest first: round-robin shows request by request."""
    latency: LatencySummary = field(default_factory=LatencySummary)
    failures: tuple[Failure, ...] = ()
    """The first failures (up to FAILURE_LOG_LIMIT) with their monotonic times."""
    running: bool = False
    finished_reason: str | None = None
    """Why the run ended: `count reached`, `duration elapsed`, `stopped`; None while running."""

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
            "servers": dict(self.servers),
            "recent": [r.server if r.ok else f"!{r.error}" for r in self.recent],
            "recent_shares": {k: round(v, 3) for k, v in self.recent_shares().items()},
            "latency_ms": {
                "p50": round(self.latency.p50_ms, 3),
                "p90": round(self.latency.p90_ms, 3),
                "p99": round(self.latency.p99_ms, 3),
                "max": round(self.latency.max_ms, 3),
                "mean": round(self.latency.mean_ms, 3),
            },
            "finished_reason": self.finished_reason,
        }


class LatencyHistogram:
    """Log-bucket latency histogram: constant memory, percentiles within 1 %."""

    def __init__(self) -> None:
        self._counts = [0] * _BUCKETS
        self._total = 0
        self._sum = 0.0
        self._max = 0.0

    def add(self, seconds: float) -> None:
        """Record one latency."""
        clamped = min(max(seconds, _MIN_LATENCY_S), _MAX_LATENCY_S)
        index = int(math.log(clamped / _MIN_LATENCY_S) / math.log(_GROWTH))
        self._counts[min(index, _BUCKETS - 1)] += 1
        self._total += 1
        self._sum += seconds
        self._max = max(self._max, seconds)

    def percentile(self, fraction: float) -> float:
        """The latency (seconds) under which `fraction` of the recorded ones fall."""
        if self._total == 0:
            return 0.0
        rank = max(1, math.ceil(fraction * self._total))
        seen = 0
        for index, count in enumerate(self._counts):
            seen += count
            if seen >= rank:
                upper = _MIN_LATENCY_S * _GROWTH ** (index + 1)
                return min(upper, self._max)
        return self._max

    def summary(self) -> LatencySummary:
        """p50/p90/p99/max/mean in milliseconds."""
        if self._total == 0:
            return LatencySummary()
        return LatencySummary(
            p50_ms=self.percentile(0.50) * 1000,
            p90_ms=self.percentile(0.90) * 1000,
            p99_ms=self.percentile(0.99) * 1000,
            max_ms=self._max * 1000,
            mean_ms=self._sum / self._total * 1000,
        )


class Tallier:
    """Accumulates outcomes from many threads; `snapshot()` freezes them."""

    def __init__(self, url: str, mode: str, target_rate: float, recent_size: int) -> None:
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
        self._servers: Counter[str] = Counter()
        self._recent: deque[Response] = deque(maxlen=recent_size)
        self._latency = LatencyHistogram()
        self._failures: list[Failure] = []

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

    def sent(self) -> None:
        """Count one request about to go out."""
        with self._lock:
            self._sent += 1

    def answered(self, status: int, server: str | None, seconds: float) -> None:
        """Count one HTTP answer (any status)."""
        with self._lock:
            self._latency.add(seconds)
            self._servers[server or UNKNOWN_SERVER] += 1
            if 200 <= status < 300:
                self._ok += 1
                self._recent.append(Response(server=server or UNKNOWN_SERVER))
            else:
                self._fail_locked(f"http {status}", server or UNKNOWN_SERVER)

    def errored(self, kind: str) -> None:
        """Count one request that got no HTTP answer (connection error, timeout)."""
        with self._lock:
            self._fail_locked(kind, None)

    def _fail_locked(self, kind: str, server: str | None) -> None:
        self._failed += 1
        self._errors[kind] += 1
        self._recent.append(Response(server=server, error=kind))
        if len(self._failures) < FAILURE_LOG_LIMIT:
            self._failures.append(Failure(at=time.monotonic(), kind=kind))

    def snapshot(self) -> TrafficTally:
        """The counts so far, frozen."""
        with self._lock:
            now = self._ended if self._ended is not None else time.monotonic()
            elapsed = now - self._started if self._started is not None else 0.0
            return TrafficTally(
                url=self._url,
                mode=self._mode,
                target_rate=self._target_rate,
                elapsed_s=elapsed,
                sent=self._sent,
                ok=self._ok,
                failed=self._failed,
                errors=dict(self._errors),
                servers=dict(sorted(self._servers.items())),
                recent=tuple(self._recent),
                latency=self._latency.summary(),
                failures=tuple(self._failures),
                running=self._started is not None and self._ended is None,
                finished_reason=self._finished_reason,
            )
