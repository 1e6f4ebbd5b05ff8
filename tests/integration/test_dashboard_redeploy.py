"""`D` then `r` in the dashboard after editing the topology file, on the real lab: the
preview shows the diff and changes nothing; `r` shows it, reloads with no dialog, and the
new server comes UP in the VIP pane (issue 5's Pilot test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.model import Topology
from lbtui.lab import LabStatus
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.data.live import live_services
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.widgets.event_log import EventLog
from lbtui.tui.widgets.vip_panel import VipPanel
from tests.integration.topologies import lab_topology
from tests.pilot_waits import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture()
def deployed(lab: LabStatus, tmp_path: Path) -> Iterator[Topology]:
    """The reference topology applied on the test lab; everything removed afterwards."""
    topology = lab_topology(lab, "presentation.yaml", tmp_path, name="dashredeploy")
    hosts = DockerHosts(topology)
    try:
        apply(hosts, topology)
        yield topology
    finally:
        teardown(hosts, topology, leave_swarm=True)
        hosts.close()


def _add_web3(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["backends"]["web3"] = {**data["backends"]["web1"], "host": "docker2"}
    data["vips"]["presentation"]["servers"].append("web3")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _statuses(app: LbtuiApp) -> dict[str, str]:
    view = app.screen.query_one(VipPanel).view
    return {s.name: s.status for s in view.servers} if view and view.reachable else {}


async def test_redeploy_key_shows_the_diff_and_the_new_server_comes_up(
    deployed: Topology,
) -> None:
    assert deployed.source is not None
    services = live_services(deployed)
    app = make_app(deployed, services)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(
                pilot,
                lambda: _statuses(app) == {"web1": "UP", "web2": "UP"},
                "both servers UP",
                60,
            )
            _add_web3(Path(deployed.source))
            screen = app.screen
            assert isinstance(screen, DashboardScreen)

            def events() -> str:
                return "\n".join(screen.query_one(EventLog).lines)

            def diff_shows_web3() -> bool:
                return "server web3 web3:80" in screen.diff_view.text

            await pilot.press("D")  # the preview: the diff, and nothing else
            await wait_for(pilot, diff_shows_web3, "the preview's diff", 30)
            await wait_for(pilot, lambda: "nothing changed" in events(), "the preview's end", 30)
            assert "docker2/web3" not in screen.containers_table.all_rows
            assert _statuses(app) == {"web1": "UP", "web2": "UP"}
            screen.diff_view.preview = None

            await pilot.press("r")
            assert app.screen is screen  # one key, no dialog
            await wait_for(
                pilot, lambda: _statuses(app).get("web3") == "UP", "web3 UP after the reload", 90
            )
            await wait_for(pilot, lambda: "reload done" in events(), "the redeploy's summary", 30)
            diff = screen.diff_view.text
            assert "+" in diff and "server web3 web3:80" in diff  # the config diff, in its pane
            assert "server web3 web3:80" not in events()  # not as progress lines
            assert "docker2/web3" in screen.containers_table.all_rows
    finally:
        services.close()
