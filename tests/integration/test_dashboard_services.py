"""Services from the dashboard on the real lab, driven by Pilot: see the service, scale it.

The services sample (4 replicas of the lab's web image over 3 hosts behind VIP `front`)
is applied; the real app over the live services then shows the service and its tasks,
`+` scales it through the core to 5 and the VIP panel follows with a fifth server UP,
`-` brings it back to 4; no unused template slot is ever shown.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX, slot_service
from lbtui.core.topology.model import Topology
from lbtui.lab import LabStatus
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.data.live import live_services
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.event_log import EventLog
from lbtui.tui.widgets.path_view import PathView
from tests.integration.topologies import lab_topology
from tests.pilot_waits import dashboard_of, events_text, wait_for

pytestmark = pytest.mark.integration

SIZE = (160, 48)
VIP = "front"
SERVICE = "web"
REFRESH = RefreshSettings(stats_s=1.0, docker_s=15.0, retry_s=1.0)
#: Bound of each wait: a scale (tasks start in ~2 s, DNS and two checks) and the polls.
DEADLINE_S = 60.0
wait_long = functools.partial(wait_for, timeout=DEADLINE_S)


@pytest.fixture
def deployed(lab: LabStatus, tmp_path: Path) -> Iterator[Topology]:
    """The services sample applied on the lab; torn down afterwards, also on failure."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LBTUI_STATS_PASSWORD", "dashboard-services")
        topology = lab_topology(lab, "services.yaml", tmp_path)
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            yield topology
        finally:
            teardown(hosts, topology)
            hosts.close()


def _servers(app: LbtuiApp) -> dict[str, str]:
    """The VIP panel's servers and their status words, as shown."""
    view = dashboard_of(app).vip_panels[VIP].view
    if view is None or not view.reachable:
        return {}
    return {s.name: s.status.split(" ")[0] for s in view.servers}


def _serving(app: LbtuiApp, count: int) -> bool:
    servers = _servers(app)
    return len(servers) == count and all(status == "UP" for status in servers.values())


def _service_row(app: LbtuiApp) -> tuple[str, ...]:
    return dashboard_of(app).swarm.table.all_rows.get(SERVICE, ())


def _service_hop(app: LbtuiApp) -> str:
    labels = [str(label.render()) for label in dashboard_of(app).query_one(PathView).children]
    return next((text for text in labels if f"service {SERVICE}:" in text), "")


async def test_the_dashboard_shows_the_service_and_scales_it(deployed: Topology) -> None:
    services = live_services(deployed)
    app = make_app(deployed, services, refresh=REFRESH)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_long(pilot, lambda: _serving(app, 4), "the 4 tasks UP in the VIP panel")
            assert all(slot_service(name) == SERVICE for name in _servers(app))
            await wait_long(pilot, lambda: _service_row(app)[2:3] == ("4/4",), "web 4/4")
            screen = dashboard_of(app)
            row = _service_row(app)
            assert row[1] == "lbtui/web:lab" and row[4] == "running"
            tasks = {k: v for k, v in screen.swarm.table.all_rows.items() if k != SERVICE}
            assert len(tasks) == 4 and all(cells[4] == "running" for cells in tasks.values())
            assert {cells[3] for cells in tasks.values()} <= {"docker1", "docker2", "docker3"}
            assert "4/4 tasks UP in the LB; swarm 4/4" in _service_hop(app)
            await wait_long(pilot, lambda: _task_containers(app) == 4, "4 task containers")

            screen.swarm.table.focus()
            await pilot.press("plus")
            await wait_long(pilot, lambda: _scales_ended(app) >= 1, "the scale's end")
            assert "failed  scale" not in events_text(app), f"{events_text(app)}\n{_notes(app)}"
            assert "started scale web on docker1: 4 -> 5 tasks" in events_text(app)
            await wait_long(pilot, lambda: _serving(app, 5), "a fifth server UP in the panel")
            await wait_long(pilot, lambda: _service_row(app)[2:3] == ("5/5",), "web 5/5")
            await wait_long(
                pilot, lambda: "5/5 tasks UP in the LB; swarm 5/5" in _service_hop(app), "path"
            )
            assert len(_servers(app)) == 5 < SERVICE_REPLICAS_MAX  # unused slots stay hidden

            await wait_long(pilot, lambda: not screen.action_running, "the action's end")
            await pilot.press("minus")
            await wait_long(pilot, lambda: _scales_ended(app) >= 2, "the scale down's end")
            events = events_text(app)
            assert "failed  scale" not in events, f"{events}\n{_notes(app)}"
            assert "started scale web on docker1: 5 -> 4 tasks" in events
            assert "drained front/web." in events
            await wait_long(pilot, lambda: _serving(app, 4), "4 servers UP again")
            await wait_long(pilot, lambda: _service_row(app)[2:3] == ("4/4",), "web 4/4 again")
            assert not [n for n in app._notifications if n.severity == "error"]
    finally:
        services.close()


def _task_containers(app: LbtuiApp) -> int:
    rows = dashboard_of(app).containers_table.all_rows.values()
    return sum(1 for row in rows if row[8] == f"● task of {SERVICE}" and row[3] == "running")


def _scales_ended(app: LbtuiApp) -> int:
    """Scales of the service that reported their end (done or failed) in the events."""
    ends = ("done    scale web on ", "failed  scale web ")
    return sum(
        1 for line in dashboard_of(app).query_one(EventLog).lines if any(e in line for e in ends)
    )


def _notes(app: LbtuiApp) -> str:
    return "\n".join(n.message for n in app._notifications)
