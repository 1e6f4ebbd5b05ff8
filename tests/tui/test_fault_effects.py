"""Cause and effect in the events, fault marks and the fault form's checks: pure functions."""

from __future__ import annotations

import dataclasses

import pytest

from lbtui.core.errors import BadInput
from lbtui.core.faults.model import ActiveFault, FaultKind, FaultRequest
from lbtui.core.topology.model import PoolMember, Service
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.present.event_text import stats_events
from lbtui.tui.present.fault_effects import FaultEffects, TrafficCount, failed_meanwhile
from lbtui.tui.present.fault_text import fault_marks, fault_servers, server_marks
from lbtui.tui.present.rows import container_rows, path_hops
from lbtui.tui.screens.fault_form import form_request
from tests.tui.snapshot_apps.fake import deployed_hosts, reference_stats, reference_topology

T0 = 1000.0


def _poll(at: float, web2: str, check: str = "L7OK") -> VipView:
    servers = (
        ServerView("web1", "UP", "L7OK"),
        ServerView("web2", web2, check),
    )
    return VipView("presentation", True, at, servers=servers)


def _paused(effects: FaultEffects, traffic: dict[str, TrafficCount] | None = None) -> None:
    effects.acted([("presentation", "web2")], "pause", "-down", T0, traffic or {})


def test_down_after_pause_names_the_delay_the_check_and_the_failures() -> None:
    effects = FaultEffects()
    _paused(effects, {"presentation": TrafficCount(run=7, failed=10)})
    assert effects.effects(_poll(T0 + 1, "UP"), _poll(T0 + 3, "UP 1/3", "L4TOUT"), None) == []
    lines = effects.effects(
        _poll(T0 + 5.2, "UP 2/3", "L4TOUT"),
        _poll(T0 + 6.2, "DOWN", "L4TOUT"),
        TrafficCount(run=7, failed=13),
    )
    assert lines == ["web2 DOWN (L4TOUT) 6.2 s after pause; 3 requests failed meanwhile"]
    assert effects.pending == {}


def test_up_after_clear_without_traffic_omits_the_failures() -> None:
    effects = FaultEffects()
    effects.acted([("presentation", "web2")], "clear", "-up", T0, {})
    lines = effects.effects(_poll(T0 + 3, "DOWN 1/2"), _poll(T0 + 4.1, "UP"), None)
    assert lines == ["web2 UP 4.1 s after clear"]


def test_each_effect_is_said_once() -> None:
    effects = FaultEffects()
    _paused(effects)
    assert effects.effects(_poll(T0 + 1, "UP"), _poll(T0 + 6, "DOWN", "L4TOUT"), None)
    # A flap afterwards is not laid at the pause's door again.
    assert effects.effects(_poll(T0 + 7, "UP"), _poll(T0 + 8, "DOWN", "L4TOUT"), None) == []


def test_a_change_the_action_does_not_explain_says_nothing() -> None:
    effects = FaultEffects()
    _paused(effects)
    # Another server, the wrong direction, or a poll that began before the action.
    assert effects.effects(_poll(T0 - 2, "UP"), _poll(T0 - 1, "DOWN"), None) == []
    assert effects.effects(_poll(T0 + 1, "DOWN"), _poll(T0 + 2, "UP"), None) == []
    assert effects.pending  # still waiting for the DOWN


def test_an_action_expires_after_its_window() -> None:
    effects = FaultEffects(window_s=60)
    _paused(effects)
    assert effects.effects(_poll(T0 + 70, "UP"), _poll(T0 + 71, "DOWN"), None) == []
    assert effects.pending == {}


def test_a_later_action_on_the_same_server_replaces_the_earlier() -> None:
    effects = FaultEffects()
    _paused(effects)
    effects.acted([("presentation", "web2")], "clear", "-up", T0 + 2, {})
    assert effects.effects(_poll(T0 + 3, "UP"), _poll(T0 + 6, "DOWN"), None) == []
    assert effects.effects(_poll(T0 + 7, "DOWN"), _poll(T0 + 8, "UP"), None) == [
        "web2 UP 6.0 s after clear"
    ]


def test_unreachable_stats_make_no_effect() -> None:
    effects = FaultEffects()
    _paused(effects)
    gone = VipView("presentation", False, T0 + 5, error="refused")
    assert effects.effects(_poll(T0 + 1, "UP"), gone, None) == []
    assert effects.effects(gone, _poll(T0 + 6, "DOWN"), None) == []


@pytest.mark.parametrize(
    ("then", "now", "failed"),
    [
        (TrafficCount(1, 4), TrafficCount(1, 9), 5),
        (None, TrafficCount(2, 9), 9),  # the run started after the action
        (TrafficCount(1, 4), TrafficCount(2, 3), 3),  # a new run counts from zero
        (TrafficCount(1, 4), None, None),  # no run now: the clause is left out
    ],
)
def test_failed_meanwhile(
    then: TrafficCount | None, now: TrafficCount | None, failed: int | None
) -> None:
    assert failed_meanwhile(then, now) == failed


def test_one_failure_is_singular() -> None:
    effects = FaultEffects()
    _paused(effects, {"presentation": TrafficCount(1, 0)})
    lines = effects.effects(_poll(T0 + 1, "UP"), _poll(T0 + 2, "DOWN", ""), TrafficCount(1, 1))
    assert lines == ["web2 DOWN 2.0 s after pause; 1 request failed meanwhile"]


def test_stats_events_name_status_changes_and_reachability() -> None:
    up, down = _poll(T0, "UP"), _poll(T0 + 1, "DOWN")
    gone = VipView("presentation", False, T0 + 2, error="refused")
    assert stats_events(up, down) == ["presentation/web2 UP -> DOWN"]
    assert stats_events(down, gone) == ["presentation stats UNREACHABLE: refused"]
    assert stats_events(gone, gone) == []
    assert stats_events(gone, up) == ["presentation stats reachable again"]
    assert stats_events(None, up) == [
        "presentation/web1 appeared: UP",
        "presentation/web2 appeared: UP",
    ]


PAUSE = ActiveFault("web2", FaultKind.PAUSE, "docker3", ("web2",))
LOSS = ActiveFault("web2", FaultKind.LOSS, "docker3", ("web2",), percent=30.0)
HOST_DOWN = ActiveFault("host:docker1", FaultKind.DOWN, "docker1", ("haproxy",))


def test_marks_per_container_server_and_hop() -> None:
    topology = reference_topology()
    marks = fault_marks([PAUSE, LOSS, HOST_DOWN])
    assert marks == {("docker3", "web2"): "pause, loss 30 %", ("docker1", "haproxy"): "host down"}
    assert server_marks(topology, "presentation", marks) == {"web2": "pause, loss 30 %"}
    rows = container_rows(topology, deployed_hosts(), marks)
    assert rows["docker3/web2"][-1] == "↯ pause, loss 30 %"
    assert rows["docker2/web1"][-1] == ""
    hops = path_hops(topology, "presentation", deployed_hosts(), reference_stats(), marks)
    faulted = [(hop.text, hop.state) for hop in hops if hop.state == "fault"]
    assert faulted == [
        ("haproxy: running, frontend up, fault: host down", "fault"),
        ("web2@docker3:80: running, LB: UP, fault: pause, loss 30 %", "fault"),
    ]


def test_a_fault_found_without_its_effect_is_flagged() -> None:
    stale = dataclasses.replace(PAUSE, problems=("marked paused but running",))
    assert fault_marks([stale]) == {("docker3", "web2"): "pause (!)"}


def test_fault_servers_are_the_pool_members_a_fault_touches() -> None:
    topology = reference_topology()
    assert fault_servers(topology, [PAUSE]) == [("presentation", "web2")]
    assert fault_servers(topology, [HOST_DOWN]) == []  # the LB is no pool member


def test_a_vip_serving_a_service_has_marks_only_on_its_plain_backends() -> None:
    topology = reference_topology()
    service = Service("svc", "lbtui/web:lab", "presentation_backend", port=80)
    vip = topology.vips["presentation"]
    mixed = dataclasses.replace(vip, servers=(PoolMember("svc"), *vip.servers))
    topology = dataclasses.replace(
        topology, services={"svc": service}, vips={"presentation": mixed}
    )
    marks = fault_marks([PAUSE])
    assert server_marks(topology, "presentation", marks) == {"web2": "pause"}
    assert fault_servers(topology, [PAUSE]) == [("presentation", "web2")]


def test_the_form_builds_the_request_the_core_checks() -> None:
    assert form_request("web2", FaultKind.PAUSE, "") == FaultRequest("web2", FaultKind.PAUSE)
    assert form_request("web2", FaultKind.LOSS, " 12.5 ") == FaultRequest(
        "web2", FaultKind.LOSS, percent=12.5
    )
    assert form_request("web2", FaultKind.RATE, "512").kbit == 512
    assert form_request("web2", FaultKind.DELAY, "100").ms == 100
    with pytest.raises(BadInput, match="must be from 8 to"):
        form_request("web2", FaultKind.RATE, "4")
    with pytest.raises(BadInput, match="a whole one"):
        form_request("web2", FaultKind.DELAY, "1.5")
    with pytest.raises(BadInput, match="not 'lots'"):
        form_request("web2", FaultKind.LOSS, "lots")
    with pytest.raises(BadInput, match="whole host takes only `down`"):
        form_request("host:docker3", FaultKind.PAUSE, "")
