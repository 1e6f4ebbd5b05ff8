"""The events pane follows the newest line through bursts and resizes, and pauses while read."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot

from lbtui.core.docker.hosts import HostEvent
from lbtui.tui.data.messages import DockerEventSeen
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.widgets.event_log import EventLog
from tests.pilot_waits import wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import build_app

SIZE = (150, 44)
#: A shorter terminal: the events pane loses rows, as when the panes above it grow.
SHORTER = (150, 38)


def _log(app: App[Any]) -> EventLog:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen.query_one(EventLog)


def _burst(app: App[Any], tag: str, count: int) -> None:
    """`count` container events at once, as the Docker event streams deliver them."""
    for index in range(count):
        name = f"{tag}-{index:02d}"
        event = HostEvent("docker2", "container", "die", name, {"name": name}, 1.7e9 + index)
        app.screen.post_message(DockerEventSeen("docker2", event))


async def _delivered(pilot: Pilot[Any], tag: str, count: int) -> None:
    last = f"{tag}-{count - 1:02d}"
    await wait_for(pilot, lambda: last in _log(pilot.app).lines[-1], f"event {last}")
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def _visible(log: EventLog) -> list[str]:
    top = round(log.scroll_offset.y)
    return list(log.lines[top : top + log.scrollable_content_region.height])


async def test_the_newest_line_stays_in_view_after_a_burst_and_a_shrink() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _burst(app, "burst", 30)
        await _delivered(pilot, "burst", 30)
        await pilot.resize_terminal(*SHORTER)
        await pilot.pause()
        _burst(app, "redeploy", 5)
        await _delivered(pilot, "redeploy", 5)
        log = _log(app)
        assert log.scroll_offset.y == log.max_scroll_y
        assert "redeploy-04" in _visible(log)[-1]


async def test_scrolling_up_pauses_following_and_the_end_resumes_it() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _burst(app, "first", 30)
        await _delivered(pilot, "first", 30)
        log = _log(app)
        log.focus()
        await pilot.press("pageup")
        await pilot.pause()
        reading = _visible(log)
        assert "first-29" not in reading[-1]
        _burst(app, "second", 10)
        await _delivered(pilot, "second", 10)
        assert _visible(log) == reading, "new lines must not move what the user is reading"
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        _burst(app, "third", 10)
        await _delivered(pilot, "third", 10)
        assert "third-09" in _visible(log)[-1]
