"""The single-host and two-VIP samples: apply, serve, no-op re-apply, clean teardown."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.lab import WEB_IMAGE, LabStatus
from tests.integration.probes import (
    container_ids,
    labelled_resources,
    sdk,
    served_by,
    wait_servers_up,
)
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _stats_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "samples-test")


def test_single_host_sample(lab: LabStatus, tmp_path: Path) -> None:
    topology = lab_topology(lab, "single-host.yaml", tmp_path)
    hosts = DockerHosts(topology)
    try:
        apply(hosts, topology)
        with sdk(lab, "docker1") as docker1:
            network = docker1.networks.get("single_backend")
            assert (network.attrs["Driver"], network.attrs["Internal"]) == ("bridge", True)
            assert docker1.info()["Swarm"]["LocalNodeState"] == "inactive"
        wait_servers_up(topology, "single")
        names = served_by(lab.host("docker1").address, 8080, 10)
        assert names == ["solo1", "solo2"] * 5 or names == ["solo2", "solo1"] * 5
        before = container_ids(lab, topology)
        assert [c for c in apply(hosts, topology) if c.changes] == []
        assert container_ids(lab, topology) == before
    finally:
        teardown(hosts, topology)
        hosts.close()
    assert labelled_resources(lab, topology) == []


def test_two_vips_sample_both_serve(lab: LabStatus, tmp_path: Path) -> None:
    topology = lab_topology(lab, "two-vips.yaml", tmp_path)
    hosts = DockerHosts(topology)
    with sdk(lab, "docker3") as docker3:
        bystander = docker3.containers.run(WEB_IMAGE, name="bystander3", detach=True)
    try:
        apply(hosts, topology)
        wait_servers_up(topology, "front")
        wait_servers_up(topology, "api")
        front = served_by(lab.host("docker1").address, 80, 10)
        assert all(a != b for a, b in itertools.pairwise(front)), front
        assert set(front) == {"front1", "front2"}
        assert set(served_by(lab.host("docker2").address, 8081, 12)) == {"api1", "api2"}
        before = container_ids(lab, topology)
        assert len(before) == 6
        assert [c for c in apply(hosts, topology) if c.changes] == []
        assert container_ids(lab, topology) == before
    finally:
        teardown(hosts, topology, leave_swarm=True)
        hosts.close()
        with sdk(lab, "docker3") as docker3:
            bystander.reload()
            status = bystander.status
            bystander.remove(force=True)
    assert labelled_resources(lab, topology) == []
    assert status == "running"
