"""teardown on an in-memory gateway: only labelled resources, containers before networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions import Verdict, apply, lb, teardown
from lbtui.core.errors import HostUnreachable
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import (
    LABEL_SWARM_MEMBER,
    LABEL_TOPOLOGY,
    LABEL_TOPOLOGY_ID,
    Topology,
)
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "unit-test")
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)


@pytest.fixture
def deployed() -> tuple[Topology, FakeDockerHosts]:
    topology = load_topology(SAMPLES / "presentation.yaml")
    fake = FakeDockerHosts(topology)
    apply(fake, topology)
    fake.changes.clear()
    return topology, fake


def test_teardown_removes_only_what_carries_the_label(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    fake.add_container("docker2", "bystander")
    fake.add_container("docker3", "other", labels={LABEL_TOPOLOGY: "another-topology"})
    done = teardown(fake, topology)
    assert {(c.target, c.host) for c in done} == {
        ("haproxy", "docker1"),
        ("web1", "docker2"),
        ("web2", "docker3"),
        ("presentation_backend", "docker1"),
    }
    assert list(fake.engines["docker2"].containers) == ["bystander"]
    assert list(fake.engines["docker3"].containers) == ["other"]
    removed_network = fake.changes.index(("remove_network", "docker1", "net0001"))
    assert all(c[0] == "remove_container" for c in fake.changes[:removed_network])
    # The swarm stays unless asked.
    assert all(e.swarm.active for e in fake.engines.values())


def test_teardown_can_leave_the_swarm_workers_first(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    # One worker: the workers leave one by one, in name order (see test_schedule).
    done = teardown(fake, topology, leave_swarm=True, parallel=1)
    leaves = [c for c in fake.changes if c[0] == "swarm_leave"]
    assert leaves == [
        ("swarm_leave", "docker2"),
        ("swarm_leave", "docker3"),
        ("swarm_leave", "docker1"),
    ]
    assert [c.verdict for c in done if c.step == "swarm"] == [Verdict.LEAVE] * 3
    assert not any(e.swarm.active for e in fake.engines.values())


def test_teardown_of_nothing_changes_nothing(deployed: tuple[Topology, FakeDockerHosts]) -> None:
    topology, fake = deployed
    teardown(fake, topology)
    fake.changes.clear()
    assert teardown(fake, topology) == []
    assert fake.changes == []


def test_teardown_checks_every_host_first(deployed: tuple[Topology, FakeDockerHosts]) -> None:
    topology, fake = deployed
    fake.unreachable.add("docker2")
    with pytest.raises(HostUnreachable, match="docker2"):
        teardown(fake, topology)
    assert fake.changes == []


def test_a_file_of_the_same_name_but_another_id_is_left_alone(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    twin = {LABEL_TOPOLOGY: topology.name, LABEL_TOPOLOGY_ID: "file-0000000000000000"}
    fake.add_container("docker2", "twin-web", labels=twin)

    done = teardown(fake, topology)

    assert "twin-web" in fake.engines["docker2"].containers
    kept = [c for c in done if c.target == "twin-web"]
    assert [(c.verdict, c.reason) for c in kept] == [
        (
            Verdict.KEEP,
            "belongs to another file named presentation (id file-0000000000000000): left alone",
        )
    ]
    assert not any("twin-web" in change for change in fake.changes)


def test_a_resource_made_before_topology_ids_goes_by_its_name(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    fake.add_container("docker3", "old-web", labels={LABEL_TOPOLOGY: topology.name})

    done = teardown(fake, topology)

    assert "old-web" not in fake.engines["docker3"].containers
    removed = next(c for c in done if c.target == "old-web")
    assert removed.verdict is Verdict.REMOVE
    assert "made before topology ids" in removed.reason


def test_leave_swarm_leaves_alone_nodes_lbtui_did_not_put_there(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    # docker2: as if joined by hand; docker3: joined for another topology.
    del fake.node_labels["node-docker2"]
    fake.node_labels["node-docker3"] = {LABEL_SWARM_MEMBER: "file-0000000000000000"}

    done = teardown(fake, topology, leave_swarm=True)

    swarm = {c.host: (c.verdict, c.reason) for c in done if c.step == "swarm"}
    assert swarm == {
        "docker2": (
            Verdict.KEEP,
            "worker of a swarm lbtui did not initialise or join it to: left alone",
        ),
        "docker3": (
            Verdict.KEEP,
            "worker put in the swarm for another topology (id file-0000000000000000): left alone",
        ),
        "docker1": (Verdict.LEAVE, "manager; lbtui put it in the swarm"),
    }
    assert [c for c in fake.changes if c[0] == "swarm_leave"] == [("swarm_leave", "docker1")]


def test_leave_swarm_keeps_a_foreign_manager_in_its_swarm(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    fake.node_labels.clear()  # a swarm made outside lbtui: no node carries the record

    done = teardown(fake, topology, leave_swarm=True)

    assert [c.verdict for c in done if c.step == "swarm"] == [Verdict.KEEP] * 3
    assert all(e.swarm.active for e in fake.engines.values())
