"""The redeploy flow's order: plan, show, confirm, execute; nothing runs unless confirmed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lbtui.core.actions import apply, lb
from lbtui.core.progress import Reporter
from lbtui.core.redeploy import flow
from lbtui.core.redeploy.execute import RedeployResult
from lbtui.core.redeploy.plan import RedeployMode, RedeployPlan
from lbtui.core.topology.load import load_topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLE = Path(__file__).resolve().parents[2] / "sample_topologies" / "presentation.yaml"
VIP = "presentation"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "unit-secret")
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)


class Recorder:
    """Records the flow's calls in order; stands in for execute_redeploy (needs a real LB)."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls: list[str] = []
        self.shown: list[RedeployPlan] = []

    def show(self, plan: RedeployPlan) -> None:
        self.calls.append("show")
        self.shown.append(plan)

    def confirm(self, plan: RedeployPlan) -> bool:
        self.calls.append("confirm")
        return self.answer

    def execute(self, plan: RedeployPlan, gateway: Any, report: Reporter) -> RedeployResult:
        self.calls.append("execute")
        return RedeployResult(plan.vip.name, plan.mode, changed=True, serving_s=0.1)


def _deployed_with_edit(tmp_path: Path, weight: int | None) -> tuple[Path, FakeDockerHosts]:
    """The sample applied on a fake gateway, and an edited copy (same id) with web1's weight set."""
    fake = FakeDockerHosts(load_topology(SAMPLE))
    apply(fake, fake.topology)
    data = yaml.safe_load(SAMPLE.read_text())
    data["id"] = fake.topology.id  # the same topology, edited in another file
    if weight is not None:
        data["vips"][VIP]["servers"] = [{"backend": "web1", "weight": weight}, "web2"]
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data))
    fake.changes.clear()
    return path, fake


def _run(
    monkeypatch: pytest.MonkeyPatch, path: Path, fake: FakeDockerHosts, answer: bool
) -> tuple[Recorder, flow.FlowResult]:
    recorder = Recorder(answer)
    monkeypatch.setattr(flow, "execute_redeploy", recorder.execute)
    result = flow.redeploy_flow(path, VIP, fake, recorder.show, recorder.confirm)
    return recorder, result


def test_show_comes_before_confirm_and_confirm_before_execute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, fake = _deployed_with_edit(tmp_path, weight=3)
    recorder, result = _run(monkeypatch, path, fake, answer=True)
    assert recorder.calls == ["show", "confirm", "execute"]
    assert result.outcome is flow.Outcome.DONE and result.result is not None
    shown = recorder.shown[0]
    assert shown.mode is RedeployMode.RELOAD and "weight 3" in shown.diff
    assert result.plan is shown
    assert "reload done" in result.describe()


def test_a_declined_plan_executes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, fake = _deployed_with_edit(tmp_path, weight=3)
    recorder, result = _run(monkeypatch, path, fake, answer=False)
    assert recorder.calls == ["show", "confirm"]
    assert result.outcome is flow.Outcome.DECLINED and result.result is None
    assert fake.changes == []
    assert result.describe() == "VIP presentation: not redeployed, nothing changed"


def test_an_unchanged_vip_is_shown_and_not_confirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, fake = _deployed_with_edit(tmp_path, weight=None)
    recorder, result = _run(monkeypatch, path, fake, answer=True)
    assert recorder.calls == ["show"]
    assert result.outcome is flow.Outcome.UNCHANGED
    assert result.describe() == "VIP presentation: nothing to do"


def test_decline_and_accept_answer_every_plan(tmp_path: Path) -> None:
    path, fake = _deployed_with_edit(tmp_path, weight=3)
    shown: list[RedeployPlan] = []
    result = flow.redeploy_flow(path, VIP, fake, shown.append, flow.decline)  # type: ignore[arg-type]
    assert result.outcome is flow.Outcome.DECLINED and fake.changes == []
    assert flow.accept(shown[0]) is True
