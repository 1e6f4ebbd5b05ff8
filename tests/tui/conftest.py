"""Shared helpers of the UI tests: a fixed time zone and waiting on app state (no sleeps)."""

from __future__ import annotations

import os
import time
from typing import Any

from textual.pilot import Pilot

from tests.pilot_waits import wait_for

# Timestamps in the events pane are local time: pin the zone so snapshots match anywhere.
os.environ["TZ"] = "UTC"
time.tzset()


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every poller has delivered once and the app is idle."""
    from lbtui.tui.screens.dashboard import DashboardScreen

    def polled() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, DashboardScreen):
            return False
        pollers = [*screen.host_pollers.values(), *screen.stats_pollers.values()]
        return bool(pollers) and all(poller.polls >= 1 for poller in pollers)

    await wait_for(pilot, polled, "the first poll of every source")
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
