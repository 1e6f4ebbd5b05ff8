"""Shared helpers of the UI tests: a fixed time zone and waiting on app state (no sleeps)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

# Timestamps in the events pane are local time: pin the zone so snapshots match anywhere.
os.environ["TZ"] = "UTC"
time.tzset()

WAIT_S = 10.0


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition()` holds; fail after WAIT_S seconds."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT_S:.0f}s waiting for {what}")
        await pilot.pause(0.02)


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
