"""A topology service as a swarm spec: placement, labels, drift, and what plan decides."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lbtui.core.actions.services import service_change
from lbtui.core.actions.steps import Verdict
from lbtui.core.docker.services import (
    ServiceSnapshot,
    service_from_inspect,
    task_from_inspect,
)
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.services.scale import check_replicas, select_service
from lbtui.core.services.spec import LABEL_SPEC, placement_constraints, service_request
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import LABEL_SPEC_HASH, LABEL_TOPOLOGY, Topology

SAMPLE = Path(__file__).parents[2] / "lbtui" / "resources" / "topologies" / "services.yaml"


@pytest.fixture
def topology() -> Topology:
    return load_topology(SAMPLE)


def _with_placement(topology: Topology, *hosts: str) -> Topology:
    service = dataclasses.replace(topology.services["web"], placement=hosts)
    return dataclasses.replace(topology, services={"web": service})


@pytest.mark.parametrize(
    ("placement", "constraints"),
    [
        ((), ()),
        (("docker2",), ("node.labels.lbtui.host==docker2",)),
        (("docker2", "docker3"), ("node.labels.lbtui.host!=docker1",)),
        (("docker1", "docker2", "docker3"), ()),
    ],
)
def test_placement_becomes_node_label_constraints(
    topology: Topology, placement: tuple[str, ...], constraints: tuple[str, ...]
) -> None:
    changed = _with_placement(topology, *placement)
    assert placement_constraints(changed, changed.services["web"]) == constraints


def _found(topology: Topology, replicas: int, **spec: object) -> ServiceSnapshot:
    """The service as the manager would describe it after lbtui created it (spec edited)."""
    wanted = service_request(topology, topology.services["web"])
    labels = dict(wanted.labels)
    if spec:
        stored = {**json.loads(labels[LABEL_SPEC]), **spec}
        labels[LABEL_SPEC] = json.dumps(stored)
        labels[LABEL_SPEC_HASH] = "changed"
    return ServiceSnapshot("id1", "web", 7, labels, wanted.image, replicas, "")


def test_a_service_as_specified_is_kept(topology: Topology) -> None:
    change = service_change(topology, topology.services["web"], _found(topology, 4))
    assert (change.verdict, change.host) == (Verdict.KEEP, "docker1")


def test_a_missing_service_is_created(topology: Topology) -> None:
    assert service_change(topology, topology.services["web"], None).verdict is Verdict.CREATE


def test_another_replica_count_is_a_scale(topology: Topology) -> None:
    change = service_change(topology, topology.services["web"], _found(topology, 2))
    assert (change.verdict, change.reason) == (Verdict.SCALE, "replicas 2 -> 4")


def test_a_changed_image_is_an_update_naming_both(topology: Topology) -> None:
    found = _found(topology, 4, image="lbtui/web:old")
    change = service_change(topology, topology.services["web"], found)
    assert change.verdict is Verdict.UPDATE
    assert change.reason == "image changed lbtui/web:old -> lbtui/web:lab"


def test_a_foreign_service_of_that_name_is_refused(topology: Topology) -> None:
    found = _found(topology, 4)
    foreign = dataclasses.replace(found, labels={**found.labels, LABEL_TOPOLOGY: "other"})
    with pytest.raises(ActionFailed, match="not created by lbtui for topology services"):
        service_change(topology, topology.services["web"], foreign)


def test_scale_input_is_checked_before_any_host(topology: Topology) -> None:
    with pytest.raises(BadInput, match="replicas must be 1 to 32"):
        check_replicas(33)
    with pytest.raises(BadInput, match="did you mean 'web'"):
        select_service(topology, "wbe")


def test_api_descriptions_become_snapshots() -> None:
    service = service_from_inspect(
        {
            "ID": "s1",
            "Version": {"Index": 12},
            "Spec": {
                "Name": "web",
                "Labels": {"a": "b"},
                "Mode": {"Replicated": {"Replicas": 3}},
                "TaskTemplate": {"ContainerSpec": {"Image": "lbtui/web:lab"}},
            },
            "UpdateStatus": {"State": "updating"},
        }
    )
    assert (service.version, service.replicas, service.update_state) == (12, 3, "updating")
    task = task_from_inspect(
        {
            "ID": "t1",
            "Slot": 2,
            "NodeID": "n1",
            "DesiredState": "shutdown",
            "Status": {"State": "running", "Message": "started"},
            "NetworksAttachments": [
                {"Network": {"Spec": {"Name": "ingress"}}, "Addresses": ["10.0.0.5/24"]},
                {"Network": {"Spec": {"Name": "app_overlay"}}, "Addresses": ["10.0.1.7/24"]},
            ],
        }
    )
    assert task.addresses == {"ingress": "10.0.0.5", "app_overlay": "10.0.1.7"}
    assert not task.running and task.slot == 2
