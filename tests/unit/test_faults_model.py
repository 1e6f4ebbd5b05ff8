"""Fault requests are checked before any host is touched; targets and read-back faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.errors import BadInput
from lbtui.core.faults.marks import MarkedQdisc, parse_rules
from lbtui.core.faults.model import FaultKind, fault_request
from lbtui.core.faults.readback import NamespaceMarks, faults_in, merge
from lbtui.core.faults.targets import Placement, resolve_target
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"


@pytest.fixture(scope="module")
def reference() -> Topology:
    return load_topology(SAMPLES / "presentation.yaml")


def test_a_good_request_keeps_its_parameter() -> None:
    request = fault_request("web2", "loss", percent=30)
    assert (request.kind, request.percent, request.parameter()) == (FaultKind.LOSS, 30, "30 %")
    assert fault_request("host:docker3", "down").host_target == "docker3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("web2", "explode"), "unknown fault kind 'explode'"),
        (("web2", "loss"), "`loss` needs --percent"),
        (("web2", "rate"), "`rate` needs --kbit"),
        (("web2", "delay"), "`delay` needs --ms"),
        (("web2", "loss", 0.0), "--percent 0: must be from 0.1 to 100"),
        (("web2", "loss", 101.0), "--percent 101"),
        (("web2", "rate", None, 4), "--kbit 4: must be from 8"),
        (("web2", "delay", None, None, 0), "--ms 0"),
        (("web2", "pause", 10.0), "--percent goes only with `loss`, not `pause`"),
        (("web2", "loss", 10.0, 100), "--kbit goes only with `rate`"),
        (("host:docker3", "pause"), "a whole host takes only `down`"),
        (("host:", "down"), "`host:` needs a host name"),
        (("web2", "down"), "`down` is for a whole host"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(")) as raised:
        fault_request(*args)  # type: ignore[arg-type]
    assert raised.value.exit_code == 2


def test_targets_are_backends_lb_containers_and_hosts(reference: Topology) -> None:
    assert resolve_target(reference, "web2") == (
        Placement("web2", "docker3", "presentation_backend", "backend"),
    )
    assert resolve_target(reference, "haproxy")[0].role == "lb"
    assert [p.name for p in resolve_target(reference, "host:docker2")] == ["web1"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("wbe2", "no backend or LB container 'wbe2'; did you mean 'web2'?"),
        ("host:docker9", "no host 'docker9'; did you mean 'docker3'?"),
    ],
)
def test_unknown_targets_name_the_choices(reference: Topology, target: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("?", r"\?")):
        resolve_target(reference, target)


WEB2 = Placement("web2", "docker3", "net", "backend")
RUNNING = {"State": {"Running": True, "Paused": False}}


def _marks(rules: str, qdiscs: tuple[MarkedQdisc, ...] = ()) -> NamespaceMarks:
    return NamespaceMarks(parse_rules(rules), qdiscs)


def test_two_rules_of_one_loss_are_one_fault_with_its_values() -> None:
    comment = '--comment "lbtui-fault:loss:percent=30,at=1700000000"'
    rules = f"-A INPUT -m comment {comment} -j DROP\n-A OUTPUT -m comment {comment} -j DROP\n"
    (fault,) = faults_in(WEB2, RUNNING, _marks(rules))
    assert (fault.target, fault.kind, fault.percent, fault.since) == (
        "web2",
        FaultKind.LOSS,
        30.0,
        1700000000.0,
    )
    assert fault.problems == ()


def test_a_pause_mark_on_a_running_container_is_reported_as_a_problem() -> None:
    (fault,) = faults_in(
        WEB2, RUNNING, _marks('-A INPUT -m comment --comment "lbtui-fault:pause:at=1"\n')
    )
    assert fault.kind is FaultKind.PAUSE and "unpaused outside lbtui" in fault.problems[0]
    paused = {"State": {"Running": True, "Paused": True}}
    assert (
        faults_in(WEB2, paused, _marks('-A INPUT -m comment --comment "lbtui-fault:pause:at=1"\n'))[
            0
        ].problems
        == ()
    )


def test_a_disconnect_keeps_its_network_and_aliases() -> None:
    mark = "lbtui-fault:disconnect:network=net,aliases=web2%2Cw2,at=1"
    rule = f'-A INPUT -m comment --comment "{mark}"\n'
    (fault,) = faults_in(WEB2, RUNNING, _marks(rule))
    assert (fault.network, fault.aliases) == ("net", ("web2", "w2"))


def test_a_rate_needs_its_queue_and_a_queue_alone_is_still_shown() -> None:
    rule = '-A INPUT -m comment --comment "lbtui-fault:rate:kbit=512,at=1"\n'
    queue = (MarkedQdisc("eth0", FaultKind.RATE, kbit=512),)
    assert faults_in(WEB2, RUNNING, _marks(rule, queue))[0].problems == ()
    assert "queue is gone" in faults_in(WEB2, RUNNING, _marks(rule))[0].problems[0]
    (orphan,) = faults_in(WEB2, RUNNING, _marks("", queue))
    assert (orphan.kind, orphan.kbit, orphan.problems) == (
        FaultKind.RATE,
        512,
        ("queue without its record rule",),
    )


def test_a_hosts_down_marks_merge_into_one_fault() -> None:
    rule = '-A INPUT -m comment --comment "lbtui-fault:down:host=docker3,at=1" -j DROP\n'
    other = Placement("web3", "docker3", "net", "backend")
    faults = [*faults_in(WEB2, RUNNING, _marks(rule)), *faults_in(other, RUNNING, _marks(rule))]
    (merged,) = merge(faults)
    assert (merged.target, merged.kind, merged.containers) == (
        "host:docker3",
        FaultKind.DOWN,
        ("web2", "web3"),
    )
    assert merged.describe(now=11.0) == "host:docker3 down (docker3, 10 s ago)"
