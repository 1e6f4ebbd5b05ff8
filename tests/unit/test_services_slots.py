"""Template slots: a slot that DNS gives a new task counts only after checks on that task."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from lbtui.core.docker.exec import ExecGateway
from lbtui.core.docker.services import ServiceGateway
from lbtui.core.haproxy.stats import StatsRow
from lbtui.core.services import scale, slots
from lbtui.core.services.slots import Forced, Slot, serving, unproven
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Vip

SAMPLE = Path(__file__).parents[2] / "lbtui" / "resources" / "topologies" / "services.yaml"
OLD, NEW = "10.0.1.2", "10.0.1.9"


def _row(server: str, state: str = "UP", check: str = "L7OK") -> StatsRow:
    return StatsRow("web_back", server, "server", status=state, check_status=check)


def _slots() -> list[Slot]:
    return [Slot("front", "web.1", OLD, "ready"), Slot("front", "web.2", NEW, "ready")]


def test_a_new_address_in_a_slot_with_a_stale_passed_check_does_not_serve() -> None:
    rows = {"web.1": _row("web.1"), "web.2": _row("web.2")}
    # Without `new`, the previous task's L7OK makes the new task count at once.
    assert serving(rows, _slots()) == {"web.1": OLD, "web.2": NEW}
    assert serving(rows, _slots(), new={NEW}) == {"web.1": OLD}
    forced: set[Forced] = {("front", "web.2", NEW)}
    assert serving(rows, _slots(), new={NEW}, forced=forced) == {"web.1": OLD, "web.2": NEW}
    # Forced for another address (an earlier task in that slot) proves nothing now.
    assert serving(rows, _slots(), new={NEW}, forced={("front", "web.2", "10.0.1.7")}) == {
        "web.1": OLD
    }


def test_unproven_names_each_new_address_once_per_slot() -> None:
    assert unproven(_slots(), {NEW}, set()) == [_slots()[1]]
    assert unproven(_slots(), {NEW}, {("front", "web.2", NEW)}) == []
    empty = Slot("front", "web.3", "", "maint")
    assert unproven([empty], {""}, set()) == []


class _FakeLb:
    """HAProxy as the scale sees it: web.2 keeps its previous task's L7OK until forced down."""

    def __init__(self) -> None:
        self.rows = {"web.1": _row("web.1"), "web.2": _row("web.2")}
        self.commands: list[str] = []
        self.checks_left = -1

    def runtime(self, _gateway: ExecGateway, _vip: Vip, command: str) -> str:
        self.commands.append(command)
        if "web.2 health down" in command:
            self.rows["web.2"] = _row("web.2", "DOWN", "L7OK")
            self.checks_left = 2  # the next look still sees it DOWN, the one after UP
        return ""

    def slot_rows(self, _gateway: ExecGateway, _vip: Vip, _service: str) -> dict[str, StatsRow]:
        if self.checks_left > 0:
            self.checks_left -= 1
            if self.checks_left == 0:
                self.rows["web.2"] = _row("web.2")
        return dict(self.rows)


def test_scale_up_waits_for_checks_on_the_new_task(monkeypatch: pytest.MonkeyPatch) -> None:
    topology = load_topology(SAMPLE)
    lb = _FakeLb()
    seen: list[dict[str, str]] = []
    monkeypatch.setattr(slots, "runtime_command", lb.runtime)
    monkeypatch.setattr(scale, "read_slots", lambda *_: _slots())
    monkeypatch.setattr(scale, "set_slots", lambda *_: None)
    monkeypatch.setattr(scale, "slot_rows", lb.slot_rows)
    monkeypatch.setattr(scale, "POLL_S", 0.0)
    original = scale.serving

    def recorded(*args: object) -> dict[str, str]:
        result = original(*args)  # type: ignore[arg-type]
        seen.append(result)
        return result

    monkeypatch.setattr(scale, "serving", recorded)
    scaler = scale._Scaler(
        cast(ExecGateway, object()),
        cast(ServiceGateway, object()),
        topology,
        topology.services["web"],
        lambda _event: None,
        timeout_s=5.0,
    )
    vip = topology.vips["front"]
    assert scaler.wait_serving(vip, {OLD, NEW}, {NEW}) == {"web.1": OLD, "web.2": NEW}
    assert any("web.2 health down" in c for c in lb.commands)
    assert not any("web.1 health" in c for c in lb.commands)
    # Counted only once checks after the force passed: the looks before saw it not serving.
    assert [len(s) for s in seen] == [1, 2]
    # The next look does not force the slot down again.
    lb.commands.clear()
    scaler.wait_serving(vip, {OLD, NEW}, {NEW})
    assert lb.commands == []
