"""LiveActions dispatches each Task to the core: steps, plan, and the redeploy flow's two uses.

The gateway is the in-memory one of the unit tests (the decisions are the point here);
the real lab runs the same keys in tests/integration/test_dashboard_redeploy.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from lbtui.core.actions import apply, lb
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.progress import ProgressEvent, Reporter
from lbtui.core.redeploy import flow
from lbtui.core.redeploy.execute import RedeployResult
from lbtui.core.redeploy.plan import RedeployPlan
from lbtui.core.topology.load import load_topology
from lbtui.tui.data.live import LiveActions
from lbtui.tui.data.services import RedeployPreview, Task
from tests.unit.fake_docker import FakeDockerHosts

SAMPLE = Path(__file__).resolve().parents[2] / "sample_topologies" / "presentation.yaml"
SECRET = "live-actions-secret"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", SECRET)
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)


@pytest.fixture
def edited(tmp_path: Path) -> tuple[LiveActions, FakeDockerHosts, Path]:
    """The sample deployed on a fake gateway; its file then edited to weight web1 at 3."""
    path = tmp_path / "presentation.yaml"
    path.write_text(SAMPLE.read_text())
    topology = load_topology(path)
    fake = FakeDockerHosts(topology)
    apply(fake, topology)
    data = yaml.safe_load(path.read_text())
    data["vips"]["presentation"]["servers"] = [{"backend": "web1", "weight": 3}, "web2"]
    path.write_text(yaml.safe_dump(data))
    fake.changes.clear()
    return LiveActions(topology, cast(DockerHosts, fake)), fake, path


def _executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stands in for execute_redeploy (it needs a real LB); records each call."""
    calls: list[str] = []

    def execute(plan: RedeployPlan, gateway: Any, report: Reporter) -> RedeployResult:
        calls.append(plan.vip.name)
        return RedeployResult(plan.vip.name, plan.mode, changed=True, serving_s=0.1)

    monkeypatch.setattr(flow, "execute_redeploy", execute)
    return calls


def test_preview_shows_the_diff_and_executes_nothing(
    edited: tuple[LiveActions, FakeDockerHosts, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    actions, fake, _ = edited
    executed = _executions(monkeypatch)
    before = actions.topology()
    shown: list[RedeployPreview] = []
    output = actions.run(Task.PREVIEW, lambda event: None, "presentation", shown.append)
    assert [p.vip for p in shown] == ["presentation"]
    assert "weight 3" in shown[0].diff and SECRET not in shown[0].diff
    assert any("seamless reload" in line for line in shown[0].summary)
    assert executed == [] and fake.changes == []
    assert actions.topology() is before  # a preview does not make the dashboard follow the file
    assert output == "VIP presentation: not redeployed, nothing changed"


def test_redeploy_shows_then_executes_and_follows_the_file(
    edited: tuple[LiveActions, FakeDockerHosts, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    actions, _, _ = edited
    executed = _executions(monkeypatch)
    order: list[str] = []

    def show(preview: RedeployPreview) -> None:
        order.append(f"show {len(executed)} executed")

    output = actions.run(Task.REDEPLOY, lambda event: None, "presentation", show)
    assert order == ["show 0 executed"] and executed == ["presentation"]
    assert output is not None and "reload done" in output
    weights = [m.weight for m in actions.topology().vips["presentation"].servers]
    assert weights == [3, 1]


def test_a_step_task_runs_that_step_only(
    edited: tuple[LiveActions, FakeDockerHosts, Path],
) -> None:
    actions, _, _ = edited
    events: list[ProgressEvent] = []
    assert actions.run(Task.BRIDGE, events.append) is None
    assert {event.step for event in events} == {"bridge"}
    lines = (actions.run(Task.PLAN, events.append, None) or "").splitlines()
    # Plan reads the topology as loaded (only redeploy re-reads the file): all deployed.
    assert lines[-1] == f"plan: 0 change(s), {len(lines) - 1} kept"
