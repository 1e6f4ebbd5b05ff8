"""Rates from two HAProxy stats snapshots, and the last minute of them for sparklines.

compute_rates(prev, current)  -> RateSample   (deltas; counters that reset never go negative)
RateHistory                                   (the last minute, bounded)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from lbtui.core.haproxy.stats import VipStats


@dataclass(frozen=True)
class ServerRate:
    """One server's traffic between two snapshots."""

    name: str
    requests: int
    """Requests it handled in the interval (never negative)."""
    share: float
    """Its fraction of the interval's server requests, 0.0..1.0 (0.0 when there were none)."""
    per_second: float


@dataclass(frozen=True)
class RateSample:
    """Rates between two snapshots of one VIP."""

    interval: float
    """Seconds between the two fetches."""
    at: float
    """Wall-clock time of the later snapshot."""
    servers: tuple[ServerRate, ...]
    frontend_requests: int
    frontend_per_second: float
    reset: bool
    """A counter went down (the LB restarted): deltas count from zero."""
    _by_name: dict[str, ServerRate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Looked up once per server per poll: a VIP with template slots has dozens of servers.
        object.__setattr__(self, "_by_name", {s.name: s for s in self.servers})

    def server(self, name: str) -> ServerRate | None:
        """The rate of server `name`, if it is in the sample."""
        return self._by_name.get(name)


def compute_rates(previous: VipStats, current: VipStats) -> RateSample:
    """Per-server requests, shares and requests/s between two snapshots of the same VIP."""
    interval = max(current.monotonic - previous.monotonic, 0.0)
    before = {s.svname: s.requests for s in previous.servers}
    front_before, front_now = _frontend_requests(previous), _frontend_requests(current)
    # Any counter going down means the LB (re)started: every counter restarted from zero
    # together, so everything counted now happened within the interval.
    reset = front_now < front_before or any(
        s.requests < before.get(s.svname, 0) for s in current.servers
    )
    deltas = [
        (s.svname, s.requests if reset else s.requests - before.get(s.svname, 0))
        for s in current.servers
    ]
    front_delta = front_now if reset else front_now - front_before
    total = sum(d for _, d in deltas)
    servers = tuple(
        ServerRate(
            name=name,
            requests=delta,
            share=delta / total if total else 0.0,
            per_second=delta / interval if interval > 0 else 0.0,
        )
        for name, delta in deltas
    )
    return RateSample(
        interval=interval,
        at=current.fetched_at,
        servers=servers,
        frontend_requests=front_delta,
        frontend_per_second=front_delta / interval if interval > 0 else 0.0,
        reset=reset,
    )


def _frontend_requests(stats: VipStats) -> int:
    return stats.frontend.requests if stats.frontend is not None else 0


class RateHistory:
    """Requests/s per server over a sliding window (a minute by default), bounded in size.

    Each server's series is kept as samples arrive, so reading one costs a copy, not a
    search of every sample (a VIP with template slots has dozens of servers, read every poll).
    The names are a VIP's servers and slots, a bounded set: a series is kept once started.
    """

    def __init__(self, window: float = 60.0, max_samples: int = 600) -> None:
        self.window = window
        self._max = max_samples
        self._samples: deque[RateSample] = deque()
        self._series: dict[str, deque[float]] = {}

    def add(self, sample: RateSample) -> None:
        """Record a sample and forget those older than the window."""
        for name in sample._by_name.keys() - self._series.keys():
            self._series[name] = deque([0.0] * len(self._samples))
        self._samples.append(sample)
        for name, values in self._series.items():
            rate = sample.server(name)
            values.append(rate.per_second if rate is not None else 0.0)
        horizon = sample.at - self.window
        while self._samples and (len(self._samples) > self._max or self._samples[0].at < horizon):
            self._samples.popleft()
            for values in self._series.values():
                values.popleft()

    def __len__(self) -> int:
        return len(self._samples)

    def series(self, server: str) -> tuple[float, ...]:
        """The server's requests/s in each sample of the window, oldest first (0.0 if absent)."""
        values = self._series.get(server)
        return tuple(values) if values is not None else (0.0,) * len(self._samples)

    def latest(self) -> RateSample | None:
        """The most recent sample, if any."""
        return self._samples[-1] if self._samples else None
