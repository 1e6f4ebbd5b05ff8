"""Pilot tests of continuous traffic in the dashboard: keys, per-server table, latency chart."""

from __future__ import annotations

from typing import cast

from lbtui.tui.app import LbtuiApp
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.latency_chart import LatencyChart
from tests.pilot_waits import dashboard_of, events_text, wait_for
from tests.tui.conftest import settle
from tests.tui.snapshot_apps.apps import build_app
from tests.tui.snapshot_apps.fake import FakeTraffic, FakeTrafficControl

SIZE = (150, 44)


async def _started(app: LbtuiApp, pilot: object) -> FakeTrafficControl:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    traffic = cast(FakeTraffic, app.services.traffic)
    await pilot.press("t")
    await wait_for(pilot, lambda: "presentation" in traffic.controls, "the traffic control")
    control = traffic.controls["presentation"]
    await wait_for(pilot, lambda: control.calls == ["start"], "the start call")
    return control


async def test_rate_and_mode_keys_change_what_the_control_was_asked() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        control = await _started(app, pilot)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: control.rate == 50, "one step up from 20")
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: control.rate == 200, "two more steps")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: control.rate == 100, "one step down")
        await pilot.press("n")
        await wait_for(pilot, lambda: control.mode == "keepalive", "keep-alive")
        assert control.calls == ["start", "faster", "faster", "faster", "slower", "mode"]
        await wait_for(pilot, lambda: "keepalive connections" in events_text(app), "the event")
        assert "presentation: rate 200 req/s" in events_text(app)
        panel = dashboard_of(app).vip_panels["presentation"]
        await wait_for(
            pilot, lambda: "keepalive 100/s" in (panel.traffic_line or ""), "the line's settings"
        )


async def test_traffic_view_shows_per_server_rows_and_chart_lines() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = dashboard_of(app)
        assert not screen.query_one("#traffic-pane").display
        await pilot.press("g")
        assert screen.query_one("#traffic-pane").display
        assert not screen.query_one("#containers-pane").display
        table = screen.query_one("#traffic-servers", KeyedTable)
        # Before any traffic: HAProxy's own figures, the window's columns empty.
        web2 = table.all_rows["web2"]
        assert (web2[0], web2[1], web2[-2], web2[-1]) == ("web2", "-", "0/1/3/4", "L7OK 200 2ms")
        await _started(app, pilot)
        chart = screen.query_one(LatencyChart)
        await wait_for(pilot, lambda: len(chart.lines) == 2, "one chart line per server")
        rows = table.all_rows
        # The LB's servers first, then the requests that named none (no answer).
        assert list(rows) == ["web1", "web2", "?"]
        web1, web2, unknown = rows["web1"], rows["web2"], rows["?"]
        # The fake's window at 30 s: seconds 21..29 closed, 10 requests a second each; web2
        # slow after 20 s, one of its requests a second timing out (no answer, so no server:
        # the `?` row).
        assert (web1[1], web1[2], web1[7:11]) == ("90", "50%", ("0", "0", "0", "0"))
        assert web1[11] == "200:90" and web1[-2:] == ("0/0/1/2", "L7OK 200 1ms")
        assert (web2[1], web2[11]) == ("81", "200:81")
        assert 40 < float(web2[5]) < 50 and float(web1[5]) < 5  # p99 ms
        assert (unknown[1], unknown[3], unknown[9], unknown[-2:]) == ("9", "-", "9", ("-", "-"))
        assert [line.server for line in chart.lines] == ["web1", "web2"]
        assert all(len(line.xs) == 30 and len(line.ys) == 30 for line in chart.lines)
        assert max(chart.lines[1].ys) > 40 > max(chart.lines[0].ys)
        assert "Traffic of presentation: 20 req/s fresh (running)" in str(
            screen.traffic.pane.border_title
        )
        await pilot.press("g")
        assert screen.query_one("#containers-pane").display


async def test_a_fault_added_while_traffic_runs_marks_the_chart() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = dashboard_of(app)
        await _started(app, pilot)
        await pilot.press("g")
        chart = screen.query_one(LatencyChart)
        await wait_for(pilot, lambda: len(chart.lines) == 2, "the chart lines")
        assert chart.markers == ()
        table = screen.query_one("#traffic-servers", KeyedTable)
        table.focus()
        await pilot.press("down", "f")  # the traffic table's web2 row is a fault target
        assert app.screen.__class__.__name__ == "FaultScreen"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(chart.markers) == 1, "the fault's marker")
        marker = chart.markers[0]
        # The frozen clock: the fault happened at the window's "now", 30 s into the run.
        assert marker.label == "pause web2" and marker.x == 30.0
