"""Cause and effect: a server going DOWN after a fault, or UP after a clear, as one event line.

`web2 DOWN (L4TOUT) 6.2 s after pause; 3 requests failed meanwhile`, then
`web2 UP 4.1 s after clear`. Pure: fed by the fault actions (which servers, what was
done, when, the traffic run's failure count then) and by two successive stats polls
of a VIP; it keeps no clock of its own, so every figure comes from those times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from lbtui.tui.data.stats_view import ServerView, VipView

#: A fault action explains a status change this long after it, at most; later changes
#: (a kill, a check timing out for another reason) are not laid at its door.
EFFECT_WINDOW_S = 300.0

Expected = Literal["-down", "-up"]
"""The status class a fault action should bring its servers to (`ServerView.status_class`)."""


@dataclass(frozen=True)
class TrafficCount:
    """The dashboard's traffic run on a VIP at one moment: which run, and its failures so far."""

    run: int
    """Tells runs apart: a new run counts its failures from zero."""
    failed: int


@dataclass(frozen=True)
class FaultAction:
    """A fault added or cleared, waiting for the change it should cause on one server."""

    what: str
    """As the event line names it: `pause`, `loss 30 %`, `clear`."""
    expect: Expected
    at: float
    """When the action completed (epoch seconds, the stats polls' clock)."""
    traffic: TrafficCount | None
    """The VIP's traffic run when the action completed, if one was running."""


def failed_meanwhile(then: TrafficCount | None, now: TrafficCount | None) -> int | None:
    """Requests that failed between the action and now; None without a running run now."""
    if now is None:
        return None
    if then is None or then.run != now.run:
        return now.failed  # the run started after the action: all its failures are since
    return max(0, now.failed - then.failed)


def _requests(count: int) -> str:
    if count == 0:
        return "no request"
    return f"{count} request{'' if count == 1 else 's'}"


def effect_line(server: ServerView, action: FaultAction, at: float, failed: int | None) -> str:
    """`web2 DOWN (L4TOUT) 6.2 s after pause; 3 requests failed meanwhile`."""
    status = (server.status or "?").split(" ")[0]
    check = f" ({server.check_status})" if action.expect == "-down" and server.check_status else ""
    text = f"{server.name} {status}{check} {max(0.0, at - action.at):.1f} s after {action.what}"
    if failed is not None:
        text += f"; {_requests(failed)} failed meanwhile"
    return text


class FaultEffects:
    """Remembers the latest fault action per (VIP, server) until its effect shows or expires."""

    def __init__(self, window_s: float = EFFECT_WINDOW_S) -> None:
        self.window_s = window_s
        self._pending: dict[tuple[str, str], FaultAction] = {}

    def acted(
        self,
        servers: Iterable[tuple[str, str]],
        what: str,
        expect: Expected,
        at: float,
        traffic: Mapping[str, TrafficCount],
    ) -> None:
        """A fault was added (expect `-down`) or cleared (expect `-up`) on these servers."""
        for vip, server in servers:
            self._pending[(vip, server)] = FaultAction(what, expect, at, traffic.get(vip))

    @property
    def pending(self) -> Mapping[tuple[str, str], FaultAction]:
        """The actions whose effect has not shown yet."""
        return dict(self._pending)

    def effects(
        self, before: VipView | None, after: VipView, traffic: TrafficCount | None
    ) -> list[str]:
        """The lines for the status changes between two polls of a VIP that an action explains.

        `traffic` is the VIP's running traffic run now (None when none is running).
        """
        if before is None or not before.reachable or not after.reachable:
            return []
        lines = []
        for server in after.servers:
            key = (after.vip, server.name)
            action = self._pending.get(key)
            if action is None or after.polled_at < action.at:
                continue  # nothing asked, or a poll that started before the action
            if after.polled_at - action.at > self.window_s:
                del self._pending[key]
                continue
            old = before.server(server.name)
            changed = old is not None and old.status_class != server.status_class
            if changed and server.status_class == action.expect:
                del self._pending[key]
                failed = failed_meanwhile(action.traffic, traffic)
                lines.append(effect_line(server, action, after.polled_at, failed))
        return lines
