"""Container specs, drift reasons, step scopes and the step runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lbtui.core.actions.scope import hosts_for, network_homes, swarm_members
from lbtui.core.actions.specs import (
    CONFIG_HASH_LABEL,
    LABEL_SPEC,
    PASSWORD_MASKED,
    backend_request,
    lb_request,
    spec_differences,
)
from lbtui.core.actions.steps import Change, Verdict, carry_out
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import LABEL_CONFIG_HASH, LABEL_SPEC_HASH, Backend

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
REFERENCE = load_topology(SAMPLES / "presentation.yaml")
SINGLE = load_topology(SAMPLES / "single-host.yaml")
TWO_VIPS = load_topology(SAMPLES / "two-vips.yaml")


def test_an_unchanged_spec_has_no_differences() -> None:
    request = backend_request(REFERENCE, REFERENCE.backends["web1"])
    assert spec_differences(request.labels, request) == []
    assert len(request.labels[LABEL_SPEC_HASH]) == 16


def test_differences_name_the_field_and_both_values() -> None:
    old = backend_request(REFERENCE, REFERENCE.backends["web1"])
    web1 = REFERENCE.backends["web1"]
    changed = Backend(web1.name, web1.host, "web:2", web1.network, command=("httpd", "-f"))
    new = backend_request(REFERENCE, changed)
    assert spec_differences(old.labels, new) == [
        "image changed lbtui/web:lab -> web:2",
        'command changed (none) -> ["httpd", "-f"]',
    ]


def test_unlabelled_or_garbled_specs_count_as_drift() -> None:
    wanted = backend_request(REFERENCE, REFERENCE.backends["web1"])
    assert spec_differences({}, wanted) == ["created without an lbtui spec"]
    assert spec_differences({LABEL_SPEC: "{"}, wanted) == ["its lbtui spec label is unreadable"]


def test_the_config_hash_is_a_label_but_not_part_of_the_spec() -> None:
    vip = REFERENCE.vips["presentation"]
    first, second = lb_request(REFERENCE, vip, "aaa"), lb_request(REFERENCE, vip, "bbb")
    assert first.labels[LABEL_CONFIG_HASH] == "aaa"
    assert spec_differences(first.labels, second) == []
    assert first.ports == {"80/tcp": 80}


def test_scopes_of_the_reference() -> None:
    assert swarm_members(REFERENCE) == ["docker1", "docker2", "docker3"]
    assert network_homes(REFERENCE, REFERENCE.networks["presentation_backend"]) == ["docker1"]
    assert hosts_for(REFERENCE, "backends") == {"docker2", "docker3"}
    assert hosts_for(REFERENCE, "lb") == {"docker1", "docker2", "docker3"}
    assert hosts_for(REFERENCE, "bridge") == {"docker1"}
    with pytest.raises(BadInput, match="unknown step"):
        hosts_for(REFERENCE, "sideways")


def test_scopes_without_an_overlay_need_no_swarm() -> None:
    assert swarm_members(SINGLE) == []
    assert network_homes(SINGLE, SINGLE.networks["single_backend"]) == ["docker1"]


def test_two_vips_lb_step_reaches_every_host_of_both_pools() -> None:
    assert hosts_for(TWO_VIPS, "lb") == {"docker1", "docker2", "docker3"}


def test_carry_out_reports_each_phase() -> None:
    events: list[ProgressEvent] = []
    keep = Change("backend", "web1", "docker2", Verdict.KEEP, "running as specified")
    create = Change("backend", "web2", "docker3", Verdict.CREATE, "missing")
    carry_out(keep, events.append, lambda: pytest.fail("a kept resource is not touched"))
    carry_out(create, events.append, lambda: "running")
    assert [(e.phase, e.target, e.detail) for e in events] == [
        (Phase.SKIPPED, "web1", "running as specified"),
        (Phase.STARTED, "web2", "create: missing"),
        (Phase.DONE, "web2", "running"),
    ]


def test_carry_out_reports_a_failure_and_raises_it() -> None:
    events: list[ProgressEvent] = []
    change = Change("lb", "haproxy", "docker1", Verdict.CREATE, "missing")

    def fail() -> str:
        raise ActionFailed("no space left")

    with pytest.raises(ActionFailed, match="no space left"):
        carry_out(change, events.append, fail)
    assert [(e.phase, e.detail) for e in events][-1] == (Phase.FAILED, "no space left")
    assert change.describe() == "create   lb haproxy on docker1: missing"


def test_an_lb_made_before_the_masked_config_hash_is_recreated_once() -> None:
    # Its label hashed the config WITH the password: a label cannot change in place.
    vip = REFERENCE.vips["presentation"]
    wanted = lb_request(REFERENCE, vip, "aaa")
    old_spec = json.loads(wanted.labels[LABEL_SPEC])
    del old_spec[CONFIG_HASH_LABEL]
    old_labels = {**wanted.labels, LABEL_SPEC: json.dumps(old_spec)}
    assert spec_differences(old_labels, wanted) == [
        f"{CONFIG_HASH_LABEL} changed (none) -> {PASSWORD_MASKED}"
    ]
    assert spec_differences(wanted.labels, lb_request(REFERENCE, vip, "bbb")) == []
