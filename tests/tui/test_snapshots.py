"""SVG snapshots at fixed sizes with a frozen clock; refresh with `--snapshot-update`."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Log

from lbtui.tui.screens.detail import DetailScreen
from tests.pilot_waits import wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import build_app
from tests.tui.snapshot_apps.fake import deployed_hosts
from tests.tui.snapshot_apps.fake_swarm import build_services_app

SIZE = (150, 44)


def test_main_screen(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=SIZE, run_before=settle)


def test_main_screen_smallest(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=(100, 30), run_before=settle)


def test_main_screen_largest(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=(250, 70), run_before=settle)


def test_backend_down(snap_compare: Any) -> None:
    app = build_app(hosts=deployed_hosts(web2_state="exited"))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


async def _open_help(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=SIZE, run_before=_open_help)


async def _open_container(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("enter")  # the containers table has the focus, web1 is first

    def loaded() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, DetailScreen)
            and screen.query_one("#detail-logs", Log).line_count >= 3
            and "loading" not in str(screen.query_one("#detail-data").render())
        )

    await wait_for(pilot, loaded, "the detail view with inspect data and logs")
    await pilot.pause()


def test_container_detail(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=SIZE, run_before=_open_container)


@pytest.mark.parametrize("theme", ["dark", "light", "high-contrast"])
def test_theme(snap_compare: Any, theme: str) -> None:
    assert snap_compare(build_app(theme), terminal_size=SIZE, run_before=settle)


async def _traffic_view(pilot: Pilot[Any]) -> None:
    """Traffic running, the traffic view shown, web2 paused from its row (a chart marker)."""
    from lbtui.tui.screens.dashboard import DashboardScreen
    from lbtui.tui.widgets.keyed_table import KeyedTable
    from lbtui.tui.widgets.latency_chart import LatencyChart

    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    await pilot.press("t", "g")
    chart = screen.query_one(LatencyChart)
    await wait_for(pilot, lambda: len(chart.lines) == 2, "the chart lines")
    screen.query_one("#traffic-servers", KeyedTable).focus()
    await pilot.press("down", "f", "enter")
    await wait_for(pilot, lambda: len(chart.markers) == 1, "the fault's marker")
    await pilot.pause()


def test_traffic_view(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=SIZE, run_before=_traffic_view)


def test_traffic_view_smallest(snap_compare: Any) -> None:
    assert snap_compare(build_app(), terminal_size=(100, 30), run_before=_traffic_view)


async def _services_settled(pilot: Pilot[Any]) -> None:
    from lbtui.tui.screens.dashboard import DashboardScreen

    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen) and screen.swarm.poller is not None
    poller = screen.swarm.poller
    await wait_for(pilot, lambda: poller.polls >= 1, "the first read of the services")
    await pilot.pause()


def test_services_screen(snap_compare: Any) -> None:
    """A service's tasks in the services pane, its live slots (no unused ones) in the VIP panel."""
    assert snap_compare(build_services_app(), terminal_size=SIZE, run_before=_services_settled)
