"""A check that fails only to resolve server names waits for the overlay's DNS, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions import validate
from lbtui.core.errors import ConfigRejected
from lbtui.core.haproxy.check import CheckResult, parse_check_output
from lbtui.core.progress import ProgressEvent
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
UNRESOLVED = (
    "[ALERT]    (1) : config : [/usr/local/etc/haproxy/haproxy.cfg:40] : 'server "
    "pres_containers/web2' : could not resolve address 'web2'.\n"
    "[ALERT]    (1) : config : Failed to initialize server(s) addr.\n"
)
OTHER = "[ALERT]    (1) : config : parsing [haproxy.cfg:30] : unknown keyword 'sideways'.\n"


def _run(
    monkeypatch: pytest.MonkeyPatch, answers: list[CheckResult]
) -> tuple[list[ProgressEvent], list[CheckResult], Topology]:
    topology = load_topology(SAMPLES / "presentation.yaml")
    pending = list(answers)
    monkeypatch.setattr(validate, "check_config", lambda *_args: pending.pop(0))
    monkeypatch.setattr(validate, "DNS_RETRY_S", 0.0)
    events: list[ProgressEvent] = []
    vip = topology.vips["presentation"]
    hosts = FakeDockerHosts(topology)
    try:
        validate.validate_config(hosts, topology, vip, "text", events.append)
    finally:
        monkeypatch.undo()
    return events, pending, topology


def test_apply_waits_until_the_names_resolve_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    unresolved = parse_check_output(UNRESOLVED, 1)
    valid = parse_check_output("Configuration file is valid\n", 0)
    events, left, _ = _run(monkeypatch, [unresolved, unresolved, valid])
    assert left == []
    waits = [e.detail for e in events if "waiting" in e.detail]
    assert len(waits) == 2
    assert waits[0].startswith("waiting for network presentation_backend's DNS to resolve web2")
    assert events[-1].detail == "valid"


def test_the_wait_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    unresolved = parse_check_output(UNRESOLVED, 1)
    monkeypatch.setattr(validate, "DNS_READY_S", 0.0)
    with pytest.raises(ConfigRejected, match="could not resolve address 'web2'"):
        _run(monkeypatch, [unresolved, unresolved])


def test_other_errors_are_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    mixed = parse_check_output(UNRESOLVED + OTHER, 1)
    with pytest.raises(ConfigRejected, match="sideways"):
        _run(monkeypatch, [mixed, mixed])
