"""A bounded HTTP load generator that tallies which server answered each request.

`TrafficGenerator(spec).start()` runs worker threads that pace requests to
`spec.rate` per second until `spec.count` requests were sent or `spec.duration_s`
elapsed (whichever comes first; both are always bounded), or until `stop()`.
While it runs, `set_rate()` and `set_mode()` change the pace and the kind of connection.
`tally()` returns a frozen `TrafficTally` at any moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

import httpx

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.config import SERVED_BY_HEADER
from lbtui.core.traffic import http1
from lbtui.core.traffic.outcome import Outcome, answered, failed
from lbtui.core.traffic.spec import (
    MODES,
    TrafficMode,
    TrafficSpec,
    check_rate,
    check_target,
    served_by,
    served_by_parts,
)
from lbtui.core.traffic.tally import Tallier, TrafficTally
from lbtui.core.traffic.window import SlidingWindow

__all__ = [
    "MODES",
    "STOP_GRACE_S",
    "TrafficGenerator",
    "TrafficMode",
    "TrafficSpec",
    "run_traffic",
]

#: How long a prompt stop waits for requests in flight before leaving them to their timeout.
STOP_GRACE_S = 1.0
_SERVED_BY_KEY = SERVED_BY_HEADER.lower()


class TrafficGenerator:
    """Sends paced, bounded HTTP load from worker threads and tallies the outcomes."""

    def __init__(
        self,
        spec: TrafficSpec,
        transport: httpx.BaseTransport | None = None,
        sink: Callable[[Outcome], None] | None = None,
        window: SlidingWindow | None = None,
    ) -> None:
        """`sink` gets every outcome (from worker threads; it must not block)."""
        check_target(spec.url, spec.allow_any_target)
        self.spec = spec
        self._transport = transport
        # Fresh connections to an http:// target take the bare-socket path (a tenth of
        # httpx's CPU per request); keep-alive, https and an injected transport use httpx.
        self._bare = None if transport is not None else _bare_target(spec.url)
        self._tallier = Tallier(spec.url, spec.mode, spec.rate, spec.recent_size, window, sink)
        self._stop = threading.Event()
        # One worker at a time waits for the next slot; the others wait for this lock, so a
        # slot wakes one thread, not all of them.
        self._pace_lock = threading.Lock()
        self._schedule = threading.Condition()
        self._rate = spec.rate
        self._mode: TrafficMode = spec.mode
        self._mode_generation = 0
        self._next_slot = 0
        self._base_slot = 0
        self._base_time = 0.0
        self._start = 0.0
        self._threads: list[threading.Thread] = []
        self._alive = 0
        self._alive_lock = threading.Lock()
        self._finished = threading.Event()
        self._end_reason: str | None = None

    @property
    def rate(self) -> float:
        """The requests per second asked for now."""
        return self._rate

    @property
    def mode(self) -> TrafficMode:
        """The kind of connection used now."""
        return self._mode

    def start(self) -> None:
        """Start the workers; returns at once."""
        if self._threads:
            raise RuntimeError("a TrafficGenerator runs once; make a new one")
        self._start = self._base_time = time.monotonic()
        self._tallier.start()
        self._alive = self.spec.connections
        for index in range(self.spec.connections):
            thread = threading.Thread(
                target=self._worker, name=f"lbtui-traffic-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def set_rate(self, rate: float) -> None:
        """Pace at `rate` requests/s from now on (the run's time and count bounds stay)."""
        check_rate(rate)
        with self._schedule:
            self._base_time = time.monotonic()
            self._base_slot = self._next_slot
            self._rate = rate
            self._schedule.notify_all()
        self._tallier.settings(self._mode, rate)

    def set_mode(self, mode: TrafficMode) -> None:
        """Use `mode` connections from each worker's next request on."""
        if mode not in MODES:
            raise BadInput(f"mode {mode!r}: must be one of {', '.join(MODES)}")
        with self._schedule:
            if mode != self._mode:
                self._mode = mode
                self._mode_generation += 1
        self._tallier.settings(mode, self._rate)

    def stop(self, timeout: float | None = None) -> TrafficTally:
        """Stop sending; wait for the requests in flight at most `timeout` seconds (default:
        their own timeout, so every outcome is counted). Those still running then are left to
        finish by themselves and count as in flight (`STOP_GRACE_S` makes a prompt stop)."""
        with self._schedule:
            if self._end_reason is None:
                self._end_reason = "stopped"
            self._schedule.notify_all()
        self._stop.set()
        bound = self.spec.timeout_s + 1.0 if timeout is None else timeout
        deadline = time.monotonic() + bound
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._tallier.finish(self._end_reason or "stopped")
        return self.tally()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends by itself (or `timeout`); True when it ended."""
        return self._finished.wait(timeout)

    @property
    def running(self) -> bool:
        """True while workers are sending (False once `stop()` was called)."""
        return bool(self._threads) and not self._finished.is_set() and not self._stop.is_set()

    def tally(self) -> TrafficTally:
        """The counts so far, frozen."""
        return self._tallier.snapshot()

    def __enter__(self) -> TrafficGenerator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _claim_slot(self) -> float | None:
        """Wait for the next request's send time and claim it; None when the run is over."""
        with self._pace_lock, self._schedule:
            while True:
                if self._end_reason is not None:
                    return None
                at = self._base_time + (self._next_slot - self._base_slot) / self._rate
                now = time.monotonic()
                if self.spec.count is not None and self._next_slot >= self.spec.count:
                    self._end_reason = "count reached"
                elif max(at, now) - self._start >= self.spec.deadline_s:
                    self._end_reason = "duration elapsed"
                elif at <= now:
                    self._next_slot += 1
                    return at
                else:
                    # set_rate() and stop() notify: a new pace applies at once.
                    self._schedule.wait(at - now)
                    continue
                self._schedule.notify_all()
                return None

    def _client(self, mode: TrafficMode) -> httpx.Client:
        timeout = httpx.Timeout(self.spec.timeout_s)
        if mode == "keepalive":
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            headers: dict[str, str] = {}
        else:
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=0)
            headers = {"Connection": "close"}
        transport = self._transport
        if transport is None and self.spec.connect_retries:
            # A client's transport carries the pool limits when it is given one.
            transport = httpx.HTTPTransport(limits=limits, retries=self.spec.connect_retries)
        return httpx.Client(
            timeout=timeout,
            limits=limits,
            headers=headers,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def _worker(self) -> None:
        client: httpx.Client | None = None
        generation = -1
        try:
            while not self._stop.is_set():
                if self._claim_slot() is None:
                    break
                if self._bare is not None and self._mode == "fresh":
                    if client is not None:  # keep-alive until now: its connection goes
                        client.close()
                        client = None
                    self._send_bare(self._bare)
                    continue
                if client is None or generation != self._mode_generation:
                    if client is not None:
                        client.close()
                    generation = self._mode_generation
                    client = self._client(self._mode)
                self._send(client)
        finally:
            if client is not None:
                client.close()
            with self._alive_lock:
                self._alive -= 1
                last = self._alive == 0
            if last:
                self._tallier.finish(self._end_reason or "stopped")
                self._finished.set()

    def _send(self, client: httpx.Client) -> None:
        self._tallier.sent()
        sent_at = time.time()
        began = time.monotonic()
        try:
            response = client.get(self.spec.url)
        except httpx.HTTPError as error:
            outcome = failed(sent_at, time.monotonic() - began, error)
        else:
            took = time.monotonic() - began
            outcome = answered(sent_at, took, response.status_code, served_by(response))
        self._tallier.record(outcome)

    def _send_bare(self, target: http1.Target) -> None:
        self._tallier.sent()
        sent_at = time.time()
        began = time.monotonic()
        try:
            answer = http1.get(target, self.spec.timeout_s, self.spec.connect_retries)
        except httpx.HTTPError as error:
            outcome = failed(sent_at, time.monotonic() - began, error)
        else:
            took = time.monotonic() - began
            server = served_by_parts(answer.headers.get(_SERVED_BY_KEY), answer.body)
            outcome = answered(sent_at, took, answer.status, server)
        self._tallier.record(outcome)


def _bare_target(url: str) -> http1.Target | None:
    try:
        return http1.Target.of(url)
    except ValueError:
        return None  # https: httpx does TLS


def run_traffic(spec: TrafficSpec, sink: Callable[[Outcome], None] | None = None) -> TrafficTally:
    """A whole bounded run: start, wait for the run's own bounds, stop; the final tally."""
    generator = TrafficGenerator(spec, sink=sink)
    generator.start()
    generator.wait(spec.deadline_s + spec.timeout_s + 5.0)
    return generator.stop()
