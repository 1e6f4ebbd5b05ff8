"""teardown on an in-memory gateway: only labelled resources, containers before networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions import Verdict, apply, lb, teardown
from lbtui.core.errors import HostUnreachable
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import LABEL_TOPOLOGY, Topology
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
    done = teardown(fake, topology, leave_swarm=True)
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
