"""Template slots: a slot that DNS gives a new task counts only after checks on that task."""

from __future__ import annotations

from lbtui.core.haproxy.stats import StatsRow
from lbtui.core.services.slots import Forced, Slot, serving, unproven

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
