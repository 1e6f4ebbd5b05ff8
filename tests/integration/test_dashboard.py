"""The dashboard against the real lab, driven by Pilot: apply, traffic, kill, a host going down.

Waits on state, never sleeps. Iterate with
`LBTUI_TEST_LAB=lbui LBTUI_TEST_SUBNET=198.18.5.0/24 LBTUI_TEST_KEEP_LAB=1`.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from lbtui.core.actions import teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.model import Topology
from lbtui.lab import LabSpec, LabStatus, lab_status, lab_up
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.data.live import live_services
from lbtui.tui.data.services import Services
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.vip_panel import VipPanel
from tests.integration.topologies import lab_topology
from tests.pilot_waits import dashboard_of, wait_for

pytestmark = pytest.mark.integration

SIZE = (160, 48)
#: Refresh settings of the tests: the default stats interval, quick retries.
REFRESH = RefreshSettings(stats_s=1.0, docker_s=15.0, retry_s=1.0)


@pytest.fixture()
def reference(lab: LabStatus, tmp_path: Path) -> Iterator[Topology]:
    """The reference topology on the test lab, torn down afterwards (swarm left too)."""
    topology = lab_topology(lab, "presentation.yaml", tmp_path, name="dashtest")
    hosts = DockerHosts(topology)
    try:
        teardown(hosts, topology, leave_swarm=True)  # nothing deployed when the app starts
        yield topology
    finally:
        teardown(hosts, topology, leave_swarm=True)
        hosts.close()


def _containers(app: LbtuiApp) -> dict[str, tuple[str, ...]]:
    return dict(dashboard_of(app).query_one("#containers", KeyedTable).all_rows)


def _servers(app: LbtuiApp) -> dict[str, tuple[str, int]]:
    view = dashboard_of(app).query_one(VipPanel).view
    if view is None or not view.reachable:
        return {}
    return {s.name: (s.status, s.stot) for s in view.servers}


def _deployed(app: LbtuiApp) -> bool:
    rows = _containers(app)
    wanted = {"docker2/web1", "docker3/web2", "docker1/haproxy"}
    running = all(rows.get(key, ("",) * 4)[3] == "running" for key in wanted)
    servers = _servers(app)
    return (
        running and servers.get("web1", ("",))[0] == "UP" and servers.get("web2", ("",))[0] == "UP"
    )


def _requests(address: str, count: int) -> None:
    # Bounded: `count` requests, 5 s each at most, to the lab's own address only.
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        for _ in range(count):
            client.get(f"http://{address}/", headers={"Connection": "close"}).raise_for_status()


async def _apply_from_the_app(pilot: Pilot[Any], app: LbtuiApp) -> None:
    await wait_for(pilot, lambda: "docker1" in dashboard_of(app).last_ok, "the first poll", 15)
    assert _containers(app)["docker3/web2"][3] == "planned"
    await pilot.press("a")
    await wait_for(pilot, lambda: _deployed(app), "web1, web2, haproxy running and UP", 90)


def _app(topology: Topology) -> tuple[LbtuiApp, Services]:
    services = live_services(topology)
    return make_app(topology, services, refresh=REFRESH), services


async def test_apply_traffic_and_kill_from_the_dashboard(reference: Topology) -> None:
    app, services = _app(reference)
    address = reference.hosts["docker1"].address
    assert address is not None
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _apply_from_the_app(pilot, app)
            before = _servers(app)
            await asyncio.to_thread(_requests, address, 20)

            def both_rose() -> bool:
                now = _servers(app)
                return all(now[name][1] > before[name][1] for name in ("web1", "web2"))

            await wait_for(pilot, both_rose, "both servers' session counters to rise", 15)

            panel = dashboard_of(app).query_one(VipPanel)
            await pilot.press("t")  # the built-in generator: who served shows live

            def round_robin() -> bool:
                line = panel.traffic_line or ""
                return "web1 50%" in line and "web2 50%" in line and "failed 0" in line

            await wait_for(pilot, round_robin, "the traffic line showing round-robin", 20)
            await pilot.press("t")

            table = dashboard_of(app).query_one("#containers", KeyedTable)
            table.focus()
            table.move_cursor(row=table.get_row_index("docker3/web2"))
            await pilot.press("k")
            await wait_for(
                pilot, lambda: _servers(app)["web2"][0].startswith("DOWN"), "web2 DOWN", 60
            )
            assert _servers(app)["web1"][0] == "UP"
    finally:
        services.close()


async def test_a_host_going_down_is_marked_while_the_rest_updates(
    reference: Topology, lab: LabStatus, lab_spec: LabSpec
) -> None:
    app, services = _app(reference)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _apply_from_the_app(pilot, app)
            # The pid as the lab records it now: an earlier test may have restarted the daemon.
            now = lab_status(lab_spec).host("docker3")
            assert now.reachable and now.pid is not None
            pid = now.pid
            os.kill(pid, signal.SIGKILL)  # the lab's own daemon, which this session started
            screen = dashboard_of(app)
            await wait_for(
                pilot,
                lambda: (
                    screen.query_one("#hosts", KeyedTable).all_rows["docker3"][2].startswith("NO")
                ),
                "docker3 marked unreachable",
                30,
            )
            stats_polls = screen.stats_pollers["presentation"].polls
            docker1_polled = screen.hosts["docker1"].polled_at
            screen.host_pollers["docker1"].wake()
            await wait_for(
                pilot,
                lambda: (
                    screen.stats_pollers["presentation"].polls >= stats_polls + 2
                    and screen.hosts["docker1"].polled_at > docker1_polled
                ),
                "the other sources to keep updating",
                15,
            )
            assert screen.hosts["docker1"].reachable
            assert _containers(app)["docker3/web2"][3] == "unknown"
    finally:
        services.close()
        lab_up(lab_spec)  # brings docker3's daemon back for the tests that follow
