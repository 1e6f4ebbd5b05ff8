"""How soon a VIP's stats are polled again: every interval while something moves, slower
while the VIP is quiet.

A quiet VIP is one whose servers' states, check results and request counters did not
change for QUIET_AFTER_POLLS polls in a row (check durations and the stats requests
themselves do not count). It is polled every QUIET_FACTOR intervals until it moves again,
or until something may be about to move: a Docker state change or an action of the
dashboard stirs every VIP, which is then polled every interval for STIR_S seconds.
Left idle, a dashboard of four VIPs spends a third of the CPU on stats polls; a server
that goes down on a quiet VIP shows at most QUIET_FACTOR intervals after HAProxy saw it.
"""

from __future__ import annotations

from lbtui.tui.data.stats_view import VipView
from lbtui.tui.settings import RefreshSettings

QUIET_AFTER_POLLS = 5
QUIET_FACTOR = 3
STIR_S = 30.0


def activity(view: VipView) -> object:
    """What a poll must change for the VIP to count as moving."""
    if not view.reachable:
        return None
    return tuple(
        (s.name, s.status, s.check_status, s.check_code, s.scur, s.stot, s.lbtot)
        for s in view.servers
    )


class StatsPacing:
    """The next poll's delay for each VIP, from its last two views."""

    def __init__(self, settings: RefreshSettings) -> None:
        self._settings = settings
        self._quiet_polls: dict[str, int] = {}
        self._stirred_until = 0.0

    def next_delay(self, before: VipView | None, view: VipView, now: float) -> float:
        """Seconds until the VIP's next poll, `view` being the poll just made (monotonic `now`)."""
        if not view.reachable:
            self._quiet_polls.pop(view.vip, None)
            return self._settings.retry_s
        still = before is not None and activity(before) == activity(view)
        quiet = self._quiet_polls[view.vip] = self._quiet_polls.get(view.vip, 0) + 1 if still else 0
        if quiet >= QUIET_AFTER_POLLS and now >= self._stirred_until:
            return self._settings.stats_s * QUIET_FACTOR
        return self._settings.stats_s

    def stir(self, now: float) -> None:
        """Something may be about to move: poll every VIP every interval for STIR_S seconds."""
        self._stirred_until = now + STIR_S
