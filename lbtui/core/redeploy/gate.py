"""After a reload: is the new configuration serving, and are its servers UP? Seen from outside.

`VipProbe` looks at a VIP the way clients do, through its published port, always on
a fresh connection (a pooled one could still be held by the old worker):
- the stats page names the worker process that answered (`pid = N`): a new pid
  after a reload means the new worker owns the listeners, i.e. the new config serves;
- the stats CSV says whether each server is UP and has been checked;
- `GET /` says whether the frontend answers.

Once the new worker is known (`pin_worker`), the stats come from the runtime API
instead (`worker_stats.py`): each answer names its worker, and answers from any
other worker (the old one, still listening for a moment) are counted and ignored.

A health check that fails in the new worker ends the wait at once: its counters start
at zero, so a `chkfail` with a failed last check is the new configuration's doing, and
waiting for the server to be marked DOWN would let clients see it first. (Right after
a reload the old worker may still answer one probe; its `chkfail` counts its whole life,
but its last check of a healthy server passed.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import httpx

from lbtui.core.errors import ActionFailed
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.haproxy.stats import StatsClient, StatsUnavailable, VipStats, vip_stats_url
from lbtui.core.redeploy.worker_stats import SHOW_INFO_AND_STAT, parse_worker_answer
from lbtui.core.topology.model import Topology, Vip
from lbtui.core.topology.select import vip_url

#: Seconds between two looks while waiting.
POLL_S = 0.02
_PID = re.compile(rb"pid = </b>\s*(\d+)")
#: Server states that take traffic (DRAIN and NOLB: UP, but set aside on purpose).
_SERVING_STATES = ("UP", "DRAIN", "NOLB")
#: check_status prefixes of a passed check (layer 4, 6 or 7).
_CHECK_PASSED = ("L4OK", "L6OK", "L7OK", "PROCOK")
#: check_status values before any result.
_CHECK_NOT_RUN = ("INI", "UNK")


@dataclass(frozen=True)
class GateOutcome:
    """What the health gate concluded."""

    healthy: bool
    detail: str
    stats: VipStats | None = None


class VipProbe:
    """Reads a VIP's worker pid, stats and front page over fresh HTTP connections."""

    def __init__(
        self,
        topology: Topology,
        vip: Vip,
        credentials: StatsCredentials,
        timeout_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        runtime: Callable[[str], str] | None = None,
    ) -> None:
        """`runtime` sends one command line to the LB's runtime API and returns the answer."""
        self.vip = vip
        self._runtime = runtime
        self._pinned: int | None = None
        self.last_pid: int | None = None
        """The worker pid the stats page named last."""
        self.ignored: dict[int, int] = {}
        """Answers ignored because another worker than the pinned one gave them, by pid."""
        self._credentials = credentials
        self._stats_url = vip_stats_url(topology, vip)
        self._front_url = vip_url(topology, vip)
        self._http = httpx.Client(
            timeout=timeout_s,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"Connection": "close"},
            trust_env=False,
            transport=transport,
        )
        self._stats = StatsClient(self._http, timeout=timeout_s)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def worker_pid(self) -> int | None:
        """The pid of the worker that answered, or None when the stats page did not answer."""
        try:
            response = self._http.get(
                self._stats_url,
                auth=httpx.BasicAuth(self._credentials.user, self._credentials.password),
            )
        except httpx.HTTPError:
            return None
        match = _PID.search(response.content) if response.status_code == 200 else None
        self.last_pid = int(match.group(1)) if match else None
        return self.last_pid

    def pin_worker(self, pid: int | None) -> None:
        """From now on take stats only from worker `pid` (needs `runtime`; None: any worker)."""
        self._pinned = pid

    @property
    def pinned(self) -> bool:
        """True when stats come only from the pinned worker."""
        return self._pinned is not None and self._runtime is not None

    def stats(self) -> VipStats:
        """One stats snapshot of the VIP (raises StatsUnavailable), from the pinned worker."""
        if self._runtime is None or self._pinned is None:
            return self._stats.fetch(
                self._stats_url, self._credentials, self.vip.frontend_name, self.vip.haproxy_backend
            )
        source = f"the runtime API of {self.vip.container}"
        try:
            text = self._runtime(SHOW_INFO_AND_STAT)
        except ActionFailed as error:
            # The socket may be briefly absent while workers change: the gate asks again.
            # A host that stops answering (HostUnreachable) is not this: it leaves.
            raise StatsUnavailable(source, str(error)) from error
        answer = parse_worker_answer(text, source)
        if answer.pid != self._pinned:
            self.ignored[answer.pid] = self.ignored.get(answer.pid, 0) + 1
            raise StatsUnavailable(
                source, f"answered by worker {answer.pid}, not the new worker {self._pinned}"
            )
        return VipStats.from_rows(
            answer.rows,
            time.time(),
            time.monotonic(),
            self.vip.frontend_name,
            self.vip.haproxy_backend,
        )

    def front_answers(self) -> str | None:
        """None when `GET /` through the VIP gets a non-5xx answer; else what went wrong."""
        try:
            response = self._http.get(self._front_url)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        return None if response.status_code < 500 else f"HTTP {response.status_code}"


def wait_new_worker(probe: VipProbe, old_pid: int | None, timeout_s: float) -> float | None:
    """Seconds until a worker other than `old_pid` answers; None if none did within the bound."""
    started = time.monotonic()
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        pid = probe.worker_pid()
        if pid is not None and pid != old_pid:
            return time.monotonic() - started
        time.sleep(POLL_S)
    return None


def server_problems(
    stats: VipStats, expected: Collection[str], maintenance_ok: Collection[str]
) -> list[str]:
    """Why the pool is not healthy yet (empty when it is).

    `expected` and `maintenance_ok` hold HAProxy server names, i.e. `server_name()` of
    each pool member's backend: the stats CSV reports servers by that name.
    """
    problems = []
    if stats.frontend is None or stats.frontend.state != "OPEN":
        problems.append(f"frontend {stats.frontend.status if stats.frontend else 'missing'}")
    for name in expected:
        row = stats.server(name)
        if row is None:
            problems.append(f"{name} missing from the stats")
        elif row.state == "MAINT" and name in maintenance_ok:
            continue
        elif row.state not in _SERVING_STATES:
            problems.append(f"{name} {row.status} ({row.check_status or 'not checked'})")
        elif not row.check_status.removeprefix("* ").startswith(_CHECK_PASSED):
            problems.append(f"{name} check {row.check_status or 'not run'} yet")
    return problems


def failed_checks(stats: VipStats, expected: Collection[str]) -> list[str]:
    """Expected servers whose last health check failed, and failed in this worker."""
    failed = []
    for name in expected:
        row = stats.server(name)
        if row is not None and row.chkfail > 0 and _check_failed(row.check_status):
            code = str(row.check_code) if row.check_code is not None else ""
            status = row.check_status.removeprefix("* ")
            result = " ".join(part for part in (status, code) if part)
            if row.check_desc:
                result = f"{result} ({row.check_desc})" if result else row.check_desc
            failed.append(f"{name}'s health check failed: {result or 'no detail'}")
    return failed


def _check_failed(check_status: str) -> bool:
    status = check_status.removeprefix("* ")  # "* ": a check is running now
    return bool(status) and status not in _CHECK_NOT_RUN and not status.startswith(_CHECK_PASSED)


def wait_healthy(
    probe: VipProbe,
    expected: Collection[str],
    maintenance_ok: Collection[str],
    timeout_s: float,
    settle_s: float = 0.0,
) -> GateOutcome:
    """Poll until the frontend answers and every expected server is UP with a passed check.

    Gives up at once when an expected server's health check fails.

    `settle_s`: judge no earlier than this, e.g. one check interval when the checks
    changed (results restored from the server-state file describe the old checks).
    """
    started = time.monotonic()
    deadline = started + max(timeout_s, settle_s)
    last = "no answer yet"
    stats: VipStats | None = None
    while True:
        front = probe.front_answers()
        if front is not None:
            last = f"the frontend does not answer: {front}"
        else:
            try:
                stats = probe.stats()
            except StatsUnavailable as error:
                last = error.reason
            else:
                failed = failed_checks(stats, expected)
                if failed:
                    return GateOutcome(False, "; ".join(failed), stats)
                problems = server_problems(stats, expected, maintenance_ok)
                settled = time.monotonic() - started >= settle_s
                if not problems and settled:
                    return GateOutcome(True, "frontend answers, every server UP", stats)
                last = "; ".join(problems) or "waiting one check interval"
        if time.monotonic() >= deadline:
            return GateOutcome(False, f"not healthy within {timeout_s:g} s: {last}", stats)
        time.sleep(POLL_S * 5)
