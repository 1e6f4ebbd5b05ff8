"""Latency histograms (HdrHistogram) and the percentile summary the tally and window show.

HdrHistogram records each latency into a fixed array of log-linear counters (2 significant
digits: every value within 1 % of what was recorded), adds one histogram to another in C, and
reads percentiles by walking the counters, never by sorting samples. A summary therefore costs
the same after ten requests as after a million.
"""

from __future__ import annotations

from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

#: Latencies are recorded in whole microseconds, from 1 us to a minute (the longest timeout).
_LOWEST_US = 1
_HIGHEST_US = 60_000_000
_SIGNIFICANT_DIGITS = 2
_PERCENTILES = (50.0, 90.0, 99.0)


@dataclass(frozen=True)
class LatencySummary:
    """Latency percentiles of the answered requests, in milliseconds (0 when none)."""

    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    count: int = 0
    """How many latencies the figures summarise."""

    def as_dict(self) -> dict[str, float]:
        """Rounded to the microsecond, for JSON."""
        return {
            "p50": round(self.p50_ms, 3),
            "p90": round(self.p90_ms, 3),
            "p99": round(self.p99_ms, 3),
            "max": round(self.max_ms, 3),
            "mean": round(self.mean_ms, 3),
        }


class LatencyHistogram:
    """One HdrHistogram of latencies: record seconds, merge others in, summarise in ms."""

    __slots__ = ("_hdr",)

    def __init__(self) -> None:
        self._hdr = HdrHistogram(_LOWEST_US, _HIGHEST_US, _SIGNIFICANT_DIGITS)

    @property
    def count(self) -> int:
        """How many latencies were recorded."""
        total: int = self._hdr.get_total_count()
        return total

    def add(self, seconds: float) -> None:
        """Record one latency; values past a minute count as a minute (HdrHistogram drops them)."""
        micros = min(max(round(seconds * 1_000_000), _LOWEST_US), _HIGHEST_US)
        self._hdr.record_value(micros)

    def merge(self, other: LatencyHistogram) -> None:
        """Add every count of `other` to this histogram (an array addition in C)."""
        if other.count:
            self._hdr.add(other._hdr)

    def percentile_ms(self, percentile: float) -> float:
        """The latency (ms) at or under which `percentile` % of the recorded ones fall."""
        if not self.count:
            return 0.0
        value: int = self._hdr.get_value_at_percentile(percentile)
        return value / 1000

    def summary(self) -> LatencySummary:
        """p50/p90/p99/max/mean in milliseconds."""
        count = self.count
        if not count:
            return LatencySummary()
        values = self._hdr.get_percentile_to_value_dict(list(_PERCENTILES))
        # Percentiles report their bucket's upper edge: never let one exceed the max.
        top_ms = self._hdr.get_max_value() / 1000
        p50, p90, p99 = (min(values[p] / 1000, top_ms) for p in _PERCENTILES)
        return LatencySummary(
            p50_ms=p50,
            p90_ms=p90,
            p99_ms=p99,
            max_ms=top_ms,
            mean_ms=self._hdr.get_mean_value() / 1000,
            count=count,
        )
