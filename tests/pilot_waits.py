"""Pilot helpers shared by the UI tests and the dashboard's lab tests: waiting on app state
(no sleeps), the dashboard under any dialog, the events pane's text."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from lbtui.tui.app import LbtuiApp
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.widgets.event_log import EventLog

WAIT_S = 10.0


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, timeout: float = WAIT_S
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        await pilot.pause(0.02)


def dashboard_of(app: LbtuiApp) -> DashboardScreen:
    """The dashboard screen, also while a dialog is on top of it."""
    return next(s for s in app.screen_stack if isinstance(s, DashboardScreen))


def top_dashboard(app: LbtuiApp) -> DashboardScreen:
    """The dashboard screen, which must be on top: no dialog or other screen over it."""
    screen = app.screen
    assert isinstance(screen, DashboardScreen), f"a dialog or another screen: {screen!r}"
    return screen


def events_text(app: LbtuiApp) -> str:
    """Every line of the dashboard's events pane."""
    return "\n".join(dashboard_of(app).query_one(EventLog).lines)
