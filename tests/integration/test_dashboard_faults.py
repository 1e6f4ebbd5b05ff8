"""Faults from the dashboard on the real lab, driven by Pilot: pause web2, see it, clear it.

Real engines, real HAProxy, the app's own traffic run against the VIP. Bounds as in
test_faults: DOWN within (fall + 1) x inter plus 4 s, plus the dashboard's own poll
intervals (stats 1 s, faults 5 s); UP within 30 s of the clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbtui.core.faults.clear import clear_faults
from lbtui.lab import LabStatus
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.data.live import live_services
from lbtui.tui.screens.dashboard_faults import FAULTS_POLL_S
from lbtui.tui.screens.fault_form import FaultScreen
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.path_view import PathView
from tests.integration.fault_support import assert_no_marks, kernel_has_netem
from tests.integration.redeploy_support import VIP, Deployed, deployed_reference
from tests.pilot_waits import dashboard_of, events_text, wait_for

pytestmark = pytest.mark.integration

SIZE = (160, 48)
REFRESH = RefreshSettings(stats_s=1.0, docker_s=15.0, retry_s=1.0)
DOWN_LINE = re.compile(
    r"web2 DOWN \(\w+\) \d+\.\d s after pause; (no request|\d+ requests?) failed meanwhile"
)
UP_LINE = re.compile(r"web2 UP \d+\.\d s after clear")


@pytest.fixture
def deployed(lab: LabStatus, tmp_path: Path) -> Iterator[Deployed]:
    """The reference topology applied; any fault left by a failed test is cleared first."""
    with deployed_reference(lab, tmp_path, "dashfault") as ref:
        try:
            yield ref
        finally:
            clear_faults(ref.hosts, ref.topology)


def _fault_cell(app: LbtuiApp) -> str:
    return dashboard_of(app).containers_table.all_rows["docker3/web2"][-1]


def _statuses(app: LbtuiApp) -> dict[str, str]:
    view = dashboard_of(app).vip_panels[VIP].view
    return {s.name: s.status for s in view.servers} if view and view.reachable else {}


def _faulted_hops(app: LbtuiApp) -> list[str]:
    path = dashboard_of(app).query_one(PathView)
    return [str(label.render()) for label in path.children if label.has_class("-fault")]


async def test_pause_from_the_dashboard_shows_cause_and_effect(
    lab: LabStatus, deployed: Deployed
) -> None:
    check = deployed.topology.vips[VIP].health_check
    down_bound = (check.fall + 1) * check.interval_ms / 1000 + 4.0 + FAULTS_POLL_S
    services = live_services(deployed.topology)
    app = make_app(deployed.topology, services, refresh=REFRESH)
    try:
        async with app.run_test(size=SIZE) as pilot:
            up = {"web1": "UP", "web2": "UP"}
            await wait_for(pilot, lambda: _statuses(app) == up, "both servers UP", 60)
            screen = dashboard_of(app)
            panel = screen.vip_panels[VIP]
            panel.focus()
            await pilot.press("t")  # the dashboard's own bounded traffic run
            await pilot.press("down")
            assert panel.selected_server == "web2"

            if not kernel_has_netem():  # this machine: delay is refused, nothing changes
                await pilot.press("f", *["down"] * 4, "enter", *"100", "enter")
                await wait_for(
                    pilot,
                    lambda: any("netem" in n.message for n in app._notifications),
                    "the kernel's refusal of delay",
                    30,
                )
                assert _fault_cell(app) == ""
                assert_no_marks(lab, "docker3", "web2")

            await pilot.press("f")
            assert isinstance(app.screen, FaultScreen)
            await pilot.press("enter")  # pause
            await wait_for(pilot, lambda: _fault_cell(app) == "↯ pause", "web2's row marked", 30)
            assert panel.faults == {"web2": "pause"}
            assert any(
                "web2@docker3" in hop and "fault: pause" in hop for hop in _faulted_hops(app)
            )
            await wait_for(
                pilot,
                lambda: DOWN_LINE.search(events_text(app)) is not None,
                "web2 DOWN ... after pause in the events",
                down_bound,
            )
            assert _statuses(app)["web1"] == "UP"

            await pilot.press("F")  # clear web2's faults (the panel has the focus)
            await wait_for(
                pilot,
                lambda: UP_LINE.search(events_text(app)) is not None,
                "web2 UP ... after clear in the events",
                30,
            )
            await wait_for(pilot, lambda: _fault_cell(app) == "", "web2's mark gone", 30)
            assert panel.faults == {} and _faulted_hops(app) == []
            await pilot.press("t")  # stop the traffic run
            assert_no_marks(lab, "docker3", "web2")
    finally:
        services.close()
