"""Pilot tests of the services pane over the fake swarm: rows, `+`/`-`, progress, slots."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.pilot import Pilot

from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.data.messages import ActionProgressed
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.settings import RefreshSettings
from tests.pilot_waits import events_text, top_dashboard, wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import build_app
from tests.tui.snapshot_apps.fake_swarm import (
    FakeSwarm,
    build_services_app,
    fake_swarm_services,
    services_stats,
    services_topology,
    web_status,
)

SIZE = (150, 44)


def _hops(app: LbtuiApp) -> list[str]:
    return [str(label.render()) for label in top_dashboard(app).path_view.query("Label")]


def _swarm(app: LbtuiApp) -> FakeSwarm:
    swarm = app.services.swarm
    assert isinstance(swarm, FakeSwarm)
    return swarm


async def _settled(pilot: Pilot[Any]) -> DashboardScreen:
    """Every poller has delivered once, the services poller too."""
    await settle(pilot)
    screen = top_dashboard(pilot.app)  # type: ignore[arg-type]
    poller = screen.swarm.poller
    assert poller is not None
    await wait_for(pilot, lambda: poller.polls >= 1, "the first read of the services")
    await pilot.pause()
    return screen


async def test_the_pane_shows_each_service_and_its_tasks_per_host() -> None:
    app = build_services_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        rows = screen.swarm.table.all_rows
        assert rows["web"] == (
            "web",
            "lbtui/web:lab",
            "4/4",
            "docker1 2, docker2 1, docker3 1",
            "running",
            "",
        )
        assert [key for key in rows if key != "web"] == ["web/1", "web/2", "web/3", "web/4"]
        assert rows["web/2"] == ("  task 2", "", "", "docker2", "running", "10.0.2.12")


async def test_tasks_not_yet_running_show_their_state() -> None:
    app = build_services_app(fake_swarm_services(FakeSwarm(web_status(4, running=3))))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        rows = screen.swarm.table.all_rows
        assert rows["web"][2:5] == ("3/4", "docker1 1, docker2 1, docker3 1", "converging")
        assert rows["web/4"][3:5] == ("docker1", "preparing")


async def test_plus_then_minus_scale_the_selected_service_by_one() -> None:
    app = build_services_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        swarm = _swarm(app)
        screen.swarm.table.focus()
        await pilot.press("down", "down")  # a task's row selects its service too
        await pilot.press("plus")
        await wait_for(pilot, lambda: "done    scale web" in events_text(app), "the scale's end")
        assert swarm.calls == [("web", 5)]
        assert "started scale web on docker1: 4 -> 5 tasks" in events_text(app)
        await wait_for(pilot, lambda: not screen.action_running, "the action to finish")
        await pilot.press("minus")
        await wait_for(pilot, lambda: len(swarm.calls) == 2, "the second scale")
        assert swarm.calls == [("web", 5), ("web", 4)]


@pytest.mark.parametrize(("replicas", "key"), [(SERVICE_REPLICAS_MAX, "plus"), (1, "minus")])
async def test_scaling_stays_within_one_and_the_slot_count(replicas: int, key: str) -> None:
    app = build_services_app(fake_swarm_services(FakeSwarm(web_status(replicas))))
    async with app.run_test(size=SIZE) as pilot:
        await _settled(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: bool(app._notifications), "the warning")
        message = next(iter(app._notifications)).message
        assert f"has {replicas} tasks" in message and f"1..{SERVICE_REPLICAS_MAX}" in message
        assert _swarm(app).calls == []


async def test_a_failed_scale_is_a_notification_and_the_app_stays() -> None:
    swarm = FakeSwarm()
    swarm.failure = ActionFailed("service web did not reach 5 running tasks within 60 s")
    app = build_services_app(fake_swarm_services(swarm))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        await pilot.press("plus")
        await wait_for(pilot, lambda: bool(app._notifications), "the error notification")
        notification = next(iter(app._notifications))
        assert notification.severity == "error" and "did not reach 5" in notification.message
        assert "failed  scale web" in events_text(app)
        assert app.is_running and app.screen is screen
        assert not any("scaling" in hop for hop in _hops(app))


async def test_the_path_shows_a_scale_in_progress_and_the_tasks_up() -> None:
    swarm = FakeSwarm()
    swarm.release = threading.Event()
    app = build_services_app(fake_swarm_services(swarm))
    async with app.run_test(size=SIZE) as pilot:
        await _settled(pilot)
        assert _hops(app)[-1] == "    └ ✔ service web: 4/4 tasks UP in the LB; swarm 4/4"
        await pilot.press("plus")
        await wait_for(pilot, lambda: "scaling 4 -> 5 tasks" in _hops(app)[-1], "the hop")
        assert top_dashboard(app).swarm.table.all_rows["web"][4] == "scaling 4 -> 5 tasks"
        swarm.release.set()
        await wait_for(pilot, lambda: "scaling" not in _hops(app)[-1], "the scale's end")


async def test_the_vip_panel_hides_unused_slots_but_not_a_disabled_task() -> None:
    stats = services_stats(tasks=4, disabled=("web.2",))
    app = build_services_app(fake_swarm_services(stats=stats))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        view = screen.vip_panels["front"].view
        assert view is not None
        assert [(s.name, s.status) for s in view.servers] == [
            ("web.1", "UP"),
            ("web.2", "MAINT"),
            ("web.3", "UP"),
            ("web.4", "UP"),
        ]
        assert screen.vip_panels["front"].get_content_height(None, None, 100) == 2 + 4
        assert "3/4 tasks UP in the LB" in _hops(app)[-1]
        assert "web.5" not in events_text(app)


async def test_without_services_the_scale_keys_say_so() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not top_dashboard(app).query("#services-pane")
        await pilot.press("plus")
        await wait_for(pilot, lambda: bool(app._notifications), "the warning")
        assert "no swarm services" in next(iter(app._notifications)).message


async def test_an_unreadable_swarm_is_shown_and_retried() -> None:
    class Unreadable(FakeSwarm):
        def statuses(self) -> Any:
            raise ActionFailed("docker1 is not reachable")

    app = build_services_app(fake_swarm_services(Unreadable()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        assert "UNREADABLE: docker1 is not reachable" in str(screen.swarm.pane.border_title)
        assert "services UNREADABLE: docker1 is not reachable" in events_text(app)
        await pilot.press("plus")
        await wait_for(pilot, lambda: bool(app._notifications), "the warning")
        assert "select a service" in next(iter(app._notifications)).message


async def test_an_activity_ends_with_its_action_even_without_an_end_event() -> None:
    class Silent(FakeSwarm):
        """Fails without reporting it (a core step that forgets its end)."""

        def scale(self, service: str, replicas: int, reporter: Reporter) -> str:
            if self.release is not None:
                self.release.wait(10)
            raise ActionFailed("lost the manager")

    swarm = Silent()
    swarm.release = threading.Event()
    refresh = RefreshSettings(stats_s=0.2, docker_s=3600, retry_s=3600)
    app = make_app(services_topology(), fake_swarm_services(swarm), refresh=refresh)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        await pilot.press("plus")
        await wait_for(pilot, lambda: screen.action_running, "the scale to start")
        started = ProgressEvent(Phase.STARTED, "scale", "web", "docker1", "4 -> 5 tasks")
        screen.post_message(ActionProgressed(started))
        await wait_for(pilot, lambda: "scaling 4 -> 5" in _hops(app)[-1], "the activity")
        swarm.release.set()
        await wait_for(pilot, lambda: not screen.action_running, "the action's end")
        await wait_for(pilot, lambda: "scaling" not in _hops(app)[-1], "the activity's end")
        assert screen.swarm.activity == {}


async def test_faults_leave_a_service_alone_and_say_so_on_its_slot() -> None:
    """The live app has fault injection: its read-back must not trip over a service member."""
    app = build_services_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _settled(pilot)
        poller = screen.faults.poller
        assert poller is not None
        await wait_for(pilot, lambda: poller.polls >= 1, "the faults read-back")
        panel = screen.vip_panels["front"]
        panel.focus()
        await pilot.press("down", "f")
        await wait_for(pilot, lambda: bool(app._notifications), "the refusal")
        message = next(iter(app._notifications)).message
        assert message == "web.2 is a slot of service web: faults act on backends, LBs and hosts"
        assert app.is_running and app.screen is screen
