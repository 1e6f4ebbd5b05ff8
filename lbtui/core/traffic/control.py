"""Continuous traffic on one VIP, as the dashboard drives it: start, stop, rate steps, mode.

A run started here lasts at most `CONTINUOUS_LIMIT_S` (it stops by itself), its rate moves
along `RATE_STEPS` (1..1000 requests/s) and its connections switch between fresh and keep-alive
while it runs. Every call returns at once except `stop()`, which waits at most the generator's
short stop grace. Not thread-safe: one owner (the UI thread) calls it; `tally()` is cheap.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from lbtui.core.errors import BadInput
from lbtui.core.traffic.generator import STOP_GRACE_S, TrafficGenerator
from lbtui.core.traffic.outcome import Outcome
from lbtui.core.traffic.spec import MAX_DURATION_S, MODES, TrafficMode, TrafficSpec, check_rate
from lbtui.core.traffic.tally import TrafficTally

#: The rates `faster()` and `slower()` step through, requests per second.
RATE_STEPS: tuple[float, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
CONTINUOUS_MAX_RATE = RATE_STEPS[-1]
#: A continuous run stops by itself after this long.
CONTINUOUS_LIMIT_S = MAX_DURATION_S
#: Worker threads: measured to hold 1000 fresh connections/s on 2 cores; more threads only
#: contend for the interpreter lock and queue SYNs at the server.
CONTINUOUS_CONNECTIONS = 8
DEFAULT_CONTINUOUS_RATE = 20.0


def step_rate(rate: float, steps: int) -> float:
    """The rate `steps` steps up (positive) or down (negative) from `rate`, clamped."""
    if steps > 0:
        index = bisect.bisect_right(RATE_STEPS, rate) - 1 + steps
    else:
        index = bisect.bisect_left(RATE_STEPS, rate) + steps
    return RATE_STEPS[min(max(index, 0), len(RATE_STEPS) - 1)]


def continuous_spec(url: str, rate: float, mode: TrafficMode) -> TrafficSpec:
    """The spec of a continuous run: bounded by time only, enough workers for 1000/s."""
    return TrafficSpec(
        url=url,
        rate=_continuous_rate(rate),
        duration_s=CONTINUOUS_LIMIT_S,
        mode=mode,
        connections=CONTINUOUS_CONNECTIONS,
    )


def _continuous_rate(rate: float) -> float:
    check_rate(rate)
    if rate > CONTINUOUS_MAX_RATE:
        raise BadInput(f"rate {rate:g}: continuous traffic goes up to {CONTINUOUS_MAX_RATE:g}/s")
    return rate


class ContinuousTraffic:
    """Start/stop continuous traffic to one URL; change its rate and mode while it runs."""

    def __init__(
        self,
        url: str,
        rate: float = DEFAULT_CONTINUOUS_RATE,
        mode: TrafficMode = "fresh",
        sink: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.url = url
        self._rate = _continuous_rate(rate)
        self._mode: TrafficMode = mode
        self._sink = sink
        self._generator: TrafficGenerator | None = None

    @property
    def running(self) -> bool:
        """True while a run sends (False after `stop()` or the time limit)."""
        return self._generator is not None and self._generator.running

    @property
    def rate(self) -> float:
        """The rate the next or current run paces at."""
        return self._rate

    @property
    def mode(self) -> TrafficMode:
        """The kind of connection the next or current run uses."""
        return self._mode

    def start(self) -> TrafficTally:
        """Start a new run (a no-op while one runs); its first tally."""
        if not self.running:
            generator = TrafficGenerator(
                continuous_spec(self.url, self._rate, self._mode), sink=self._sink
            )
            generator.start()
            self._generator = generator
        return self.tally_or_empty()

    def stop(self) -> TrafficTally | None:
        """Stop the run (promptly: requests in flight are not waited for long); its tally."""
        if self._generator is None:
            return None
        return self._generator.stop(STOP_GRACE_S)

    def toggle(self) -> bool:
        """Start when stopped, stop when running; True when it now runs."""
        if self.running:
            self.stop()
            return False
        self.start()
        return True

    def set_rate(self, rate: float) -> float:
        """Pace at `rate` from now on (and in later runs)."""
        self._rate = _continuous_rate(rate)
        if self.running and self._generator is not None:
            self._generator.set_rate(self._rate)
        return self._rate

    def faster(self) -> float:
        """One rate step up; the new rate."""
        return self.set_rate(step_rate(self._rate, 1))

    def slower(self) -> float:
        """One rate step down; the new rate."""
        return self.set_rate(step_rate(self._rate, -1))

    def set_mode(self, mode: TrafficMode) -> TrafficMode:
        """Use `mode` connections from now on (and in later runs)."""
        if mode not in MODES:
            raise BadInput(f"mode {mode!r}: must be one of {', '.join(MODES)}")
        if self.running and self._generator is not None:
            self._generator.set_mode(mode)
        self._mode = mode
        return mode

    def toggle_mode(self) -> TrafficMode:
        """Switch between fresh and keep-alive connections; the new mode."""
        return self.set_mode("keepalive" if self._mode == "fresh" else "fresh")

    def tally(self) -> TrafficTally | None:
        """The current or last run's tally; None before the first start."""
        return self._generator.tally() if self._generator is not None else None

    def tally_or_empty(self) -> TrafficTally:
        """The current or last run's tally, or an empty one naming the URL, rate and mode."""
        tally = self.tally()
        if tally is not None:
            return tally
        return TrafficTally(
            url=self.url,
            mode=self._mode,
            target_rate=self._rate,
            elapsed_s=0.0,
            sent=0,
            ok=0,
            failed=0,
        )
