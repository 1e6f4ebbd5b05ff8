"""Pilot tests over the fake gateway: keys, filter, modals, palette, errors, themes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter
from lbtui.tui.app import make_app
from lbtui.tui.data.services import ShowPreview, Task, ignore_preview
from lbtui.tui.keys import COMMANDS
from lbtui.tui.screens.confirm import ConfirmScreen
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.screens.help import HelpScreen
from lbtui.tui.screens.weight import WeightScreen
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.vip_panel import VipPanel
from tests.pilot_waits import events_text, top_dashboard, wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import FROZEN_REFRESH, build_app
from tests.tui.snapshot_apps.fake import (
    FakeActions,
    FakeGateway,
    FakeServers,
    FakeTraffic,
    deployed_hosts,
    fake_services,
    reference_topology,
)

SIZE = (150, 44)


async def test_apply_key_runs_apply_and_logs_progress() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        actions = cast(FakeActions, app.services.actions)
        await wait_for(pilot, lambda: "done    apply all" in events_text(app), "apply's progress")
        assert actions.calls == [("apply", None)]


async def test_redeploy_acts_on_the_selected_vip() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        actions = cast(FakeActions, app.services.actions)
        await wait_for(pilot, lambda: bool(actions.calls), "the redeploy call")
        assert actions.calls == [("redeploy", "presentation")]


async def test_every_command_is_in_the_palette() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Plan")
        await pilot.pause()
        await pilot.press("enter")
        actions = cast(FakeActions, app.services.actions)
        await wait_for(pilot, lambda: bool(actions.calls), "the plan called from the palette")
        assert actions.calls == [("plan", None)]
        await wait_for(pilot, lambda: "keep web1 on docker2" in events_text(app), "the plan output")


async def test_filter_narrows_the_focused_table_and_keeps_it() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = top_dashboard(app).query_one("#containers", KeyedTable)
        assert table.row_count == 3
        await pilot.press("slash", *"web2")
        await wait_for(pilot, lambda: table.row_count == 1, "the filter to apply")
        await pilot.press("escape")
        assert app.focused is table
        assert table.row_count == 1 and table.selected_key == "docker3/web2"
        await pilot.press("slash", "ctrl+u", "enter")  # clear the input: every row is back
        await wait_for(pilot, lambda: table.row_count == 3, "the filter to clear")


async def test_cursor_stays_on_its_row_when_rows_change() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = top_dashboard(app)
        table = screen.query_one("#containers", KeyedTable)
        await pilot.press("down")
        assert table.selected_key == "docker3/web2"
        gateway = cast(FakeGateway, app.services.docker)
        gateway.hosts = deployed_hosts(web2_state="exited")
        screen.host_pollers["docker3"].wake()
        await wait_for(pilot, lambda: table.all_rows["docker3/web2"][3] == "exited", "web2 exited")
        assert table.selected_key == "docker3/web2"
        assert table.row_count == 3


async def test_teardown_asks_first() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        actions = cast(FakeActions, app.services.actions)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: bool(actions.calls), "the teardown call")
        assert actions.calls == [("teardown", None)]


async def test_kill_acts_on_the_selected_container() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "k")
        gateway = cast(FakeGateway, app.services.control)
        await wait_for(pilot, lambda: bool(gateway.calls), "the kill call")
        assert gateway.calls == [("kill", "docker3", "web2")]


async def test_planned_containers_are_shown_and_not_controllable() -> None:
    empty = {
        name: HostSnapshot(name, f"unix:///{name}.sock", True, 0.0, engine_version="20.10")
        for name in ("docker1", "docker2", "docker3")
    }
    app = build_app(hosts=empty)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = top_dashboard(app)
        rows = screen.query_one("#containers", KeyedTable).all_rows
        assert {row[1]: row[3] for row in rows.values()} == {
            "web1": "planned",
            "web2": "planned",
            "haproxy": "planned",
        }
        networks = screen.query_one("#networks", KeyedTable).all_rows
        assert networks["net/presentation_backend"][2] == "planned"
        await pilot.press("s")
        assert cast(FakeGateway, app.services.control).calls == []


async def test_unreachable_host_is_marked_while_others_update() -> None:
    hosts = deployed_hosts()
    down = HostSnapshot("docker3", "unix:///docker3.sock", False, 0.0, error="connection refused")
    app = build_app(hosts={**hosts, "docker3": down})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = top_dashboard(app)
        hosts_rows = screen.query_one("#hosts", KeyedTable).all_rows
        assert hosts_rows["docker3"][2] == "NO: connection refused"
        assert hosts_rows["docker1"][2] == "yes"
        containers = screen.query_one("#containers", KeyedTable).all_rows
        assert containers["docker3/web2"][3] == "unknown"
        assert containers["docker2/web1"][3] == "running"


async def test_failed_action_is_a_notification_and_the_app_lives_on() -> None:
    class FailingActions(FakeActions):
        def run(
            self,
            task: Task,
            reporter: Reporter,
            vip: str | None = None,
            show: ShowPreview = ignore_preview,
        ) -> str | None:
            raise ActionFailed("could not create network presentation_backend on docker1: boom")

    services = fake_services()
    topology = reference_topology()
    failing = type(services)(
        docker=services.docker,
        control=services.control,
        stats=services.stats,
        actions=FailingActions(topology),
        clock=services.clock,
    )
    app = make_app(topology, failing, refresh=FROZEN_REFRESH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: bool(app._notifications), "the error notification")
        notification = next(iter(app._notifications))
        assert notification.severity == "error" and "boom" in notification.message
        assert "failed  overlay" in events_text(app)
        assert app.is_running and isinstance(app.screen, DashboardScreen)


async def test_help_lists_every_key() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(static.render()) for static in app.screen.query(".help-group"))
        for command in COMMANDS:
            assert command.title in text
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_maximise_and_restore_the_focused_pane() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        maximized = app.screen.maximized
        assert maximized is not None and maximized.id == "containers-pane"
        await pilot.press("m")
        assert app.screen.maximized is None


async def test_server_status_is_coloured_by_its_component_class() -> None:
    app = build_app(hosts=deployed_hosts())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(VipPanel)
        up = panel.get_component_rich_style("vip-panel--up")
        assert up.color is not None and up != panel.get_component_rich_style("vip-panel--down")
        styles = {
            segment.style
            for y in range(panel.size.height)
            for segment in panel.render_line(y)
            if segment.text.strip() == "UP"
        }
        assert styles and all(style is not None and style.color == up.color for style in styles)


async def test_theme_switch_and_broken_theme_reported(tmp_path: Path) -> None:
    themes = Path(__file__).resolve().parents[2] / "themes"
    for source in themes.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text())
    (tmp_path / "broken.yaml").write_text("name: broken\nprimary: [not, a, colour]\n")
    app = make_app(
        reference_topology(), fake_services(), refresh=FROZEN_REFRESH, themes_dir=tmp_path
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("broken.yaml" in m and "primary" in m for m in messages)
        assert app.theme == "dark"
        await pilot.press("ctrl+t")
        assert app.theme == "high-contrast"
        await pilot.press("ctrl+t")
        assert app.theme == "light"


async def test_enter_on_a_network_and_a_host_opens_their_details() -> None:
    from lbtui.tui.screens.detail import DetailScreen

    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        top_dashboard(app).query_one("#networks", KeyedTable).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        assert (app.screen.kind, app.screen.host, app.screen.target) == (
            "network",
            "docker1",
            "presentation_backend",
        )
        await pilot.press("escape")
        top_dashboard(app).query_one("#hosts", KeyedTable).focus()
        await pilot.press("down", "enter")
        assert isinstance(app.screen, DetailScreen)
        assert (app.screen.kind, app.screen.target) == ("host", "docker2")


async def test_traffic_key_shows_who_served_and_stops() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        traffic = cast(FakeTraffic, app.services.traffic)
        await wait_for(pilot, lambda: "presentation" in traffic.controls, "the traffic call")
        control = traffic.controls["presentation"]
        panel = app.screen.query_one(VipPanel)
        await wait_for(pilot, lambda: panel.size.height == 5, "the traffic line")
        assert control.calls == ["start"]
        line = "".join(segment.text for segment in panel.render_line(4))
        assert "sent 100 ok 100 failed 0" in line and "web1 50%  web2 50%" in line
        await pilot.press("t")
        await wait_for(pilot, lambda: control.calls == ["start", "stop"], "the stop call")
        await wait_for(pilot, lambda: "(stopped)" in (panel.traffic_line or ""), "the stopped line")


async def test_server_keys_act_on_the_selected_server() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        servers = cast(FakeServers, app.services.servers)
        app.screen.query_one(VipPanel).focus()
        await pilot.press("down", "d")
        await wait_for(pilot, lambda: len(servers.calls) == 1, "the drain call")
        await pilot.press("w")
        assert isinstance(app.screen, WeightScreen)
        await pilot.press(*"300", "enter")  # refused: out of range, the dialog stays
        assert isinstance(app.screen, WeightScreen)
        await pilot.press("backspace", "backspace", "backspace", "3", "enter")
        await wait_for(pilot, lambda: len(servers.calls) == 2, "the weight call")
        assert servers.calls == [
            ("presentation", "web2", "drain", None),
            ("presentation", "web2", "weight", 3),
        ]


async def test_a_redeploy_that_adds_or_drops_a_vip_adds_or_drops_its_panel() -> None:
    topology = reference_topology()
    second = dataclasses.replace(
        topology.vips["presentation"], name="shop", container="haproxy-shop", publish=8080
    )
    with_shop = dataclasses.replace(topology, vips={**topology.vips, "shop": second})
    only_shop = dataclasses.replace(topology, vips={"shop": second})

    class RereadingActions(FakeActions):
        """Each redeploy "re-reads the file" as the next topology."""

        def __init__(self) -> None:
            super().__init__(topology)
            self.next = [with_shop, only_shop]

        def run(
            self,
            task: Task,
            reporter: Reporter,
            vip: str | None = None,
            show: ShowPreview = ignore_preview,
        ) -> str | None:
            self._topology = self.next.pop(0)
            return super().run(task, reporter, vip, show)

    services = dataclasses.replace(fake_services(), actions=RereadingActions())
    app = make_app(topology, services, refresh=FROZEN_REFRESH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = top_dashboard(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: "shop" in screen.vip_panels, "the new VIP's panel")
        shop = screen.vip_panels["shop"]
        await wait_for(pilot, lambda: shop.selected_server is not None, "the new VIP's stats")
        assert [p.vip for p in screen.query(VipPanel)] == ["presentation", "shop"]
        assert "VIP shop added to the file" in events_text(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: "presentation" not in screen.vip_panels, "a dropped VIP")
        await settle(pilot)
        assert [p.vip for p in screen.query(VipPanel)] == ["shop"]
        assert screen.selected_vip == "shop"
        assert "VIP presentation left the file" in events_text(app)
