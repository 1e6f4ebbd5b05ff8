"""Pilot tests of the fault keys over the fake services: form, request, marks, clear, effects."""

from __future__ import annotations

import dataclasses
from typing import cast

from lbtui.core.docker.hosts import HostEvent
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.faults.model import ActiveFault, FaultKind, FaultRequest
from lbtui.tui.app import LbtuiApp
from lbtui.tui.data.messages import DockerEventSeen
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.screens.dashboard_faults import FAULTS_IDLE_POLL_S, FAULTS_POLL_S
from lbtui.tui.screens.fault_form import FaultScreen
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.path_view import PathView
from lbtui.tui.widgets.vip_panel import VipPanel
from tests.pilot_waits import dashboard_of, events_text, wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import build_app
from tests.tui.snapshot_apps.fake import FROZEN_NOW, FakeFaults, FakeStats, reference_stats

SIZE = (150, 44)


def _fault_cell(app: LbtuiApp, key: str) -> str:
    return dashboard_of(app).query_one("#containers", KeyedTable).all_rows[key][-1]


def _faulted_hops(app: LbtuiApp) -> list[str]:
    path = dashboard_of(app).query_one(PathView)
    return [str(label.render()).strip() for label in path.children if label.has_class("-fault")]


def _panel(app: LbtuiApp) -> VipPanel:
    return dashboard_of(app).vip_panels["presentation"]


async def test_fault_key_on_a_server_injects_shows_and_clears() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        faults = cast(FakeFaults, app.services.faults)
        _panel(app).focus()
        await pilot.press("down", "f")
        assert isinstance(app.screen, FaultScreen)
        assert app.screen.target == "web2"
        await pilot.press("enter")  # pause, the first kind, takes no parameter
        await wait_for(pilot, lambda: bool(faults.calls), "the add call")
        assert faults.calls == [("add", FaultRequest("web2", FaultKind.PAUSE))]
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") != "", "the row's mark")
        assert _fault_cell(app, "docker3/web2") == "↯ pause"
        assert _fault_cell(app, "docker2/web1") == ""
        assert _panel(app).faults == {"web2": "pause"}
        assert _faulted_hops(app) == ["└ ↯ web2@docker3:80: running, LB: UP, fault: pause"]
        line = "".join(segment.text for segment in _panel(app).render_line(3))
        assert line.startswith("web2") and "↯ pause" in line
        assert "active: web2 pause (docker3)" in events_text(app)

        await pilot.press("F")  # the VIP panel still has the focus: web2 again
        await wait_for(pilot, lambda: len(faults.calls) == 2, "the clear call")
        assert faults.calls[1] == ("clear", "web2")
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") == "", "the mark gone")
        assert _panel(app).faults == {} and _faulted_hops(app) == []
        assert "gone: web2 pause (docker3)" in events_text(app)


async def test_the_form_takes_a_parameter_checked_as_the_core_checks_it() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        faults = cast(FakeFaults, app.services.faults)
        await pilot.press("down", "f")  # the containers table: web2
        await pilot.press("down", "down", "enter")  # loss, then its percent
        assert isinstance(app.screen, FaultScreen)
        await pilot.press(*"150", "enter")
        assert isinstance(app.screen, FaultScreen)  # refused, the form stays
        error = str(app.screen.query_one("#fault-error").render())
        assert "must be from 0.1 to 100 %" in error
        assert faults.calls == []
        await pilot.press("backspace", "backspace", "backspace", *"30", "enter")
        await wait_for(pilot, lambda: bool(faults.calls), "the add call")
        assert faults.calls == [("add", FaultRequest("web2", FaultKind.LOSS, percent=30.0))]
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") != "", "the row's mark")
        assert _fault_cell(app, "docker3/web2") == "↯ loss 30 %"


async def test_escape_closes_the_form_without_a_fault() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f", "escape")
        assert isinstance(app.screen, DashboardScreen)
        assert cast(FakeFaults, app.services.faults).calls == []


async def test_host_down_from_the_hosts_pane_and_clear_all_from_the_palette() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        faults = cast(FakeFaults, app.services.faults)
        dashboard_of(app).query_one("#hosts", KeyedTable).focus()
        await pilot.press("down", "down", "f")
        assert isinstance(app.screen, FaultScreen)
        assert app.screen.target == "host:docker3"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(faults.calls), "the add call")
        assert faults.calls == [("add", FaultRequest("host:docker3", FaultKind.DOWN))]
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") != "", "the row's mark")
        assert _fault_cell(app, "docker3/web2") == "↯ host down"

        await pilot.press("ctrl+p", *"Clear all faults")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(faults.calls) == 2, "the clear-all call")
        assert faults.calls[1] == ("clear", None)
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") == "", "the mark gone")


async def test_a_refused_fault_is_a_notification_and_changes_nothing() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        faults = cast(FakeFaults, app.services.faults)
        faults.refuse = BadInput("`delay` needs the kernel's netem; nothing was changed")
        await pilot.press("down", "f", "down", "down", "down", "down", "enter")
        await pilot.press(*"100", "enter")
        await wait_for(pilot, lambda: bool(app._notifications), "the refusal")
        notification = next(iter(app._notifications))
        assert notification.severity == "error" and "netem" in notification.message
        assert faults.calls == [("add", FaultRequest("web2", FaultKind.DELAY, ms=100))]
        assert _fault_cell(app, "docker3/web2") == ""


async def test_a_container_outside_the_topology_takes_no_fault() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dashboard_of(app).query_one("#networks", KeyedTable).focus()
        await pilot.press("f")
        assert isinstance(app.screen, DashboardScreen)
        assert "select a container" in next(iter(app._notifications)).message


async def test_the_events_say_when_a_paused_server_went_down_and_came_back() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        stats = cast(FakeStats, app.services.stats)
        screen = dashboard_of(app)
        await pilot.press("t")  # a traffic run: the line counts its failures
        await pilot.press("down", "f", "enter")
        await wait_for(
            pilot, lambda: "active: web2 pause" in events_text(app), "the fault read back"
        )

        up = reference_stats()
        down = dataclasses.replace(
            up.servers[1], status="DOWN", check_status="L4TOUT", check_code=""
        )
        stats.view = dataclasses.replace(
            up, polled_at=FROZEN_NOW + 6.2, servers=(up.servers[0], down)
        )
        screen.stats_pollers["presentation"].wake()
        wanted = "web2 DOWN (L4TOUT) 6.2 s after pause; no request failed meanwhile"
        await wait_for(pilot, lambda: wanted in events_text(app), "the DOWN effect")

        await pilot.press("F")
        await wait_for(pilot, lambda: "gone: web2 pause" in events_text(app), "the fault cleared")
        stats.view = dataclasses.replace(up, polled_at=FROZEN_NOW + 4.1)
        screen.stats_pollers["presentation"].wake()
        wanted = "web2 UP 4.1 s after clear; no request failed meanwhile"
        await wait_for(pilot, lambda: wanted in events_text(app), "the UP effect")


async def test_unreadable_faults_are_said_once_and_the_last_marks_stay() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        faults = cast(FakeFaults, app.services.faults)
        await pilot.press("down", "f", "enter")
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") != "", "the row's mark")
        faults.unreadable = ActionFailed("docker3: no Docker socket")
        poller = dashboard_of(app).faults.poller
        assert poller is not None
        for _ in range(2):
            polls = poller.polls
            poller.wake()
            await wait_for(pilot, lambda: poller.polls > polls, "a failed read-back")  # noqa: B023
        assert events_text(app).count("active faults unreadable: docker3: no Docker socket") == 1
        assert _fault_cell(app, "docker3/web2") == "↯ pause"
        faults.unreadable = None
        poller.wake()
        await wait_for(pilot, lambda: "readable again" in events_text(app), "the read-back back")


async def test_faults_made_elsewhere_show_on_a_docker_pause_and_idle_polls_slow_down() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = dashboard_of(app)
        faults = cast(FakeFaults, app.services.faults)
        poller = screen.faults.poller
        assert poller is not None
        intervals: list[float | None] = []
        finished = poller.finished

        def recorded(interval: float | None = None) -> None:
            intervals.append(interval)
            finished(interval)

        poller.finished = recorded  # type: ignore[method-assign]
        # Another terminal paused web2 (`lbtui fault add ... pause`): only Docker says so.
        faults.held.append(ActiveFault("web2", FaultKind.PAUSE, "docker3", ("web2",)))
        started = HostEvent("docker3", "container", "start", "web2", {"name": "web2"}, 1.7e9)
        screen.post_message(DockerEventSeen("docker3", started))
        await settle(pilot)
        assert _fault_cell(app, "docker3/web2") == "" and intervals == []
        paused = dataclasses.replace(started, action="pause")
        screen.post_message(DockerEventSeen("docker3", paused))
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") != "", "the row's mark")
        assert intervals == [FAULTS_POLL_S]  # a fault is active: the short interval
        faults.held.clear()
        unpaused = dataclasses.replace(started, action="unpause")
        screen.post_message(DockerEventSeen("docker3", unpaused))
        await wait_for(pilot, lambda: _fault_cell(app, "docker3/web2") == "", "the mark gone")
        assert intervals == [FAULTS_POLL_S, FAULTS_IDLE_POLL_S]
