"""Continuous traffic from the dashboard on the real lab, driven by Pilot.

Real engines, real HAProxy, the core's ContinuousTraffic sending real HTTP to the VIP: start
it, raise the rate, open the traffic view, see both servers with latency figures and HAProxy's
timings, and the chart with points for each; stop it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lbtui.lab import LabStatus
from lbtui.tui.app import make_app
from lbtui.tui.data.live import LiveTraffic, live_services
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.latency_chart import LatencyChart
from tests.integration.redeploy_support import VIP, Deployed, deployed_reference
from tests.pilot_waits import dashboard_of, events_text, wait_for

pytestmark = pytest.mark.integration

SIZE = (160, 48)
REFRESH = RefreshSettings(stats_s=1.0, docker_s=15.0, retry_s=1.0)


@pytest.fixture
def deployed(lab: LabStatus, tmp_path: Path) -> Iterator[Deployed]:
    """The reference topology applied, torn down afterwards."""
    with deployed_reference(lab, tmp_path, "dashtraffic") as ref:
        yield ref


def _answered(rows: dict[str, tuple[str, ...]], server: str) -> bool:
    row = rows.get(server)
    return row is not None and row[1] not in ("-", "0") and row[5] != "-"


async def test_traffic_from_the_dashboard_fills_the_panel_and_the_chart(
    lab: LabStatus, deployed: Deployed
) -> None:
    services = live_services(deployed.topology)
    assert isinstance(services.traffic, LiveTraffic)
    app = make_app(deployed.topology, services, refresh=REFRESH)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = dashboard_of(app)
            await wait_for(pilot, lambda: VIP in screen.stats, "the first stats poll", 30)
            await pilot.press("t")
            await wait_for(pilot, lambda: "started: 20 req/s" in events_text(app), "the start", 30)
            control = services.traffic.control(VIP)
            assert control.running and control.rate == 20
            await pilot.press("right_square_bracket", "right_square_bracket")
            await wait_for(pilot, lambda: control.rate == 100, "two rate steps up", 10)
            await pilot.press("g")
            table, chart = screen.traffic.table, screen.query_one(LatencyChart)

            def both_answered() -> bool:
                rows = table.all_rows
                return _answered(rows, "web1") and _answered(rows, "web2")

            await wait_for(pilot, both_answered, "both servers' latency in the panel", 30)
            rows = table.all_rows
            for server in ("web1", "web2"):
                row = rows[server]
                p50, p99 = float(row[3]), float(row[5])
                assert 0 < p50 <= p99 < 1000, row
                assert row[7:11] == ("0", "0", "0", "0"), row  # no refused/reset/timeout/5xx
                assert row[11].startswith("200:"), row
                assert row[-1].startswith("L7OK"), row  # HAProxy's check, next to ours
                assert len(row[-2].split("/")) == 4, row  # q/c/r/t from the stats CSV
            await wait_for(
                pilot,
                lambda: (
                    sorted(line.server for line in chart.lines) == ["web1", "web2"]
                    and all(len(line.xs) >= 2 for line in chart.lines)
                ),
                "a chart line with points for each server",
                30,
            )
            assert all(all(y > 0 for y in line.ys) for line in chart.lines)
            tally = screen.traffic.polled[VIP].tally
            assert tally.running and tally.target_rate == 100 and tally.failed == 0

            await pilot.press("t")
            await wait_for(pilot, lambda: not control.running, "the run stopped", 10)
            panel = screen.vip_panels[VIP]
            await wait_for(
                pilot, lambda: "(stopped)" in (panel.traffic_line or ""), "the stopped line", 10
            )
    finally:
        services.close()
