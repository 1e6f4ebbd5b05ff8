"""apply/plan/teardown of the reference topology (docs/recipe.md) on the real lab."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from lbtui.core.actions import Verdict, apply, plan, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.model import Topology
from lbtui.lab import WEB_IMAGE, LabStatus
from tests.integration.probes import (
    container_ids,
    labelled_resources,
    sdk,
    served_by,
    wait_servers_up,
    wait_serving,
)
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reference(
    lab: LabStatus, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Topology, DockerHosts]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LBTUI_STATS_PASSWORD", "reference-test")
        topology = lab_topology(lab, "presentation.yaml", tmp_path_factory.mktemp("reference"))
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            yield topology, hosts
        finally:
            teardown(hosts, topology, leave_swarm=True)
            hosts.close()


def test_hosts_are_built_as_the_recipe(
    lab: LabStatus, reference: tuple[Topology, DockerHosts]
) -> None:
    topology, _ = reference
    with sdk(lab, "docker1") as docker1:
        overlay = docker1.networks.get("presentation_backend")
        assert overlay.attrs["Driver"] == "overlay"
        assert overlay.attrs["Internal"] is True
        assert overlay.attrs["Attachable"] is True
        haproxy = docker1.containers.get("haproxy")
        assert haproxy.status == "running"
        assert set(haproxy.attrs["NetworkSettings"]["Networks"]) == {
            "presentation_backend",
            "bridge",
        }
        assert haproxy.attrs["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == "80"
    for host, name in (("docker2", "web1"), ("docker3", "web2")):
        with sdk(lab, host) as client:
            web = client.containers.get(name)
            assert web.status == "running"
            assert list(web.attrs["NetworkSettings"]["Networks"]) == ["presentation_backend"]
            assert web.attrs["Config"]["Hostname"] == name
            assert web.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
            assert web.labels["lbtui.topology"] == topology.name


def test_twenty_requests_alternate_strictly(
    lab: LabStatus, reference: tuple[Topology, DockerHosts]
) -> None:
    topology, _ = reference
    wait_servers_up(topology, "presentation")
    names = served_by(lab.host("docker1").address, 80, 20)
    assert set(names) == {"web1", "web2"}
    assert all(a != b for a, b in itertools.pairwise(names)), names


def test_stats_show_both_servers_up_with_l7ok(reference: tuple[Topology, DockerHosts]) -> None:
    topology, _ = reference
    rows = wait_servers_up(topology, "presentation")
    assert {(r.svname, r.state, r.check_status) for r in rows} == {
        ("web1", "UP", "L7OK"),
        ("web2", "UP", "L7OK"),
    }


def test_second_apply_changes_nothing(
    lab: LabStatus, reference: tuple[Topology, DockerHosts]
) -> None:
    topology, hosts = reference
    before = container_ids(lab, topology)
    changes = apply(hosts, topology)
    assert [c for c in changes if c.changes] == []
    assert container_ids(lab, topology) == before
    assert len(before) == 3


def test_removed_backend_is_planned_then_recreated(
    lab: LabStatus, reference: tuple[Topology, DockerHosts]
) -> None:
    topology, hosts = reference
    with sdk(lab, "docker3") as docker3:
        docker3.containers.get("web2").remove(force=True)
    planned = [c for c in plan(hosts, topology) if c.changes]
    assert [(c.step, c.target, c.host, c.verdict) for c in planned] == [
        ("backend", "web2", "docker3", Verdict.CREATE)
    ]
    done = [c for c in apply(hosts, topology) if c.changes]
    assert [(c.target, c.verdict) for c in done] == [("web2", Verdict.CREATE)]
    wait_serving(lab.host("docker1").address, 80, {"web1", "web2"})
    assert "web2@docker3" in container_ids(lab, topology)


def test_teardown_removes_exactly_the_labelled_resources(
    lab: LabStatus, reference: tuple[Topology, DockerHosts]
) -> None:
    topology, hosts = reference
    with sdk(lab, "docker2") as docker2:
        bystander = docker2.containers.run(WEB_IMAGE, name="bystander", detach=True)
        try:
            teardown(hosts, topology)
            assert labelled_resources(lab, topology) == []
            bystander.reload()
            assert bystander.status == "running"
        finally:
            bystander.remove(force=True)
