"""Latency histograms (HdrHistogram) and the percentile summary the tally and window show.

HdrHistogram records each latency into a fixed array of log-linear counters (2 significant
digits: every value within 1 % of what was recorded), adds one histogram to another in C, and
reads percentiles by walking the counters, never by sorting samples. A summary therefore costs
the same after ten requests as after a million.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

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

    __slots__ = ("_hdr", "_sum_s")

    def __init__(self) -> None:
        self._hdr = HdrHistogram(_LOWEST_US, _HIGHEST_US, _SIGNIFICANT_DIGITS)
        # HdrHistogram's own mean walks every recorded value in Python (~30 ms for a busy
        # histogram): the exact sum is kept here instead.
        self._sum_s = 0.0

    @property
    def count(self) -> int:
        """How many latencies were recorded."""
        total: int = self._hdr.get_total_count()
        return total

    def add(self, seconds: float) -> None:
        """Record one latency; values past a minute count as a minute (HdrHistogram drops them)."""
        micros = min(max(round(seconds * 1_000_000), _LOWEST_US), _HIGHEST_US)
        self._hdr.record_value(micros)
        self._sum_s += seconds

    def merge(self, other: LatencyHistogram) -> None:
        """Add every count of `other` to this histogram (an array addition in C)."""
        if other.count:
            self._hdr.add(other._hdr)
            self._sum_s += other._sum_s

    def percentile_ms(self, percentile: float) -> float:
        """The latency (ms) at or under which `percentile` % of the recorded ones fall."""
        return self._values_ms((percentile,))[0] if self.count else 0.0

    def _values_ms(self, percentiles: tuple[float, ...]) -> list[float]:
        """HdrHistogram's percentile rule (the first counter where the running total reaches
        the target; that counter's highest value), with the running totals summed in C
        (accumulate over the counters up to the max) instead of a Python loop per counter."""
        hdr = self._hdr
        last: int = hdr.get_counts_array_index(hdr.max_value)
        running = list(accumulate(hdr.counts[: last + 1]))
        top_ms = hdr.get_max_value() / 1000
        values = []
        for percentile in percentiles:
            index = bisect_left(running, hdr.get_target_count_at_percentile(percentile))
            value: int = hdr.get_highest_equivalent_value(hdr.get_value_from_index(index))
            # A percentile reports its counter's upper edge: never above the max.
            values.append(min(value / 1000, top_ms))
        return values

    def summary(self) -> LatencySummary:
        """p50/p90/p99/max/mean in milliseconds."""
        count = self.count
        if not count:
            return LatencySummary()
        p50, p90, p99 = self._values_ms(_PERCENTILES)
        return LatencySummary(
            p50_ms=p50,
            p90_ms=p90,
            p99_ms=p99,
            max_ms=self._hdr.get_max_value() / 1000,
            mean_ms=self._sum_s / count * 1000,
            count=count,
        )
