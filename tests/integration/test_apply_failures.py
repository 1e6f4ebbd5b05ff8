"""Failures stop an action before it changes anything: an unreachable host, a rejected config."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions import apply, lb, teardown, validate_config
from lbtui.core.actions.lb import render_vip
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import ActionFailed, ConfigRejected, HostUnreachable
from lbtui.lab import LabStatus
from tests.integration.probes import container_ids, labelled_resources, running_config, sdk
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _stats_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "failures-test")


def _swarm_states(lab: LabStatus) -> dict[str, str]:
    states = {}
    for host in ("docker1", "docker2", "docker3"):
        with sdk(lab, host) as client:
            states[host] = client.info()["Swarm"]["LocalNodeState"]
    return states


def test_unreachable_host_stops_apply_before_any_change(lab: LabStatus, tmp_path: Path) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    bogus = tmp_path / "nothing-here.sock"
    edited = dict(topology.hosts)
    edited["docker3"] = type(edited["docker3"])(
        name="docker3", url=f"unix://{bogus}", address=edited["docker3"].address
    )
    broken = type(topology)(
        name=topology.name,
        hosts=edited,
        networks=topology.networks,
        backends=topology.backends,
        vips=topology.vips,
        swarm=topology.swarm,
    )
    swarm_before = _swarm_states(lab)
    hosts = DockerHosts(broken)
    try:
        with pytest.raises(HostUnreachable) as raised:
            apply(hosts, broken)
    finally:
        hosts.close()
    assert raised.value.host == "docker3"
    assert str(bogus) in str(raised.value)
    assert labelled_resources(lab, topology) == []
    assert _swarm_states(lab) == swarm_before


def test_rejected_config_changes_nothing(
    lab: LabStatus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    topology = lab_topology(lab, "single-host.yaml", tmp_path)
    vip = topology.vips["single"]
    hosts = DockerHosts(topology)
    try:
        apply(hosts, topology)
        before = container_ids(lab, topology)
        broken = render_vip(topology, vip).text.replace("balance roundrobin", "balance sideways")
        with pytest.raises(ConfigRejected) as raised:
            validate_config(hosts, topology, vip, broken)
        assert "balance" in raised.value.output
        # No throwaway container is left, the LB is untouched and still serves its config.
        assert container_ids(lab, topology) == before
        assert [c for c in apply(hosts, topology) if c.changes] == []
        # The same through apply: a config drift that HAProxy rejects never reaches the LB.
        monkeypatch.setattr(lb, "render_config", lambda *args: broken)
        with pytest.raises(ConfigRejected):
            apply(hosts, topology)
        assert container_ids(lab, topology) == before
        monkeypatch.undo()
        monkeypatch.setenv("LBTUI_STATS_PASSWORD", "failures-test")
        assert running_config(lab, topology, "single")
    finally:
        teardown(hosts, topology)
        hosts.close()
    assert labelled_resources(lab, topology) == []


def test_a_host_in_another_swarm_stops_apply_before_any_change(
    lab: LabStatus, tmp_path: Path
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    with sdk(lab, "docker3") as docker3:
        docker3.swarm.init(advertise_addr=lab.host("docker3").address)
        try:
            swarm_before = _swarm_states(lab)
            hosts = DockerHosts(topology)
            try:
                with pytest.raises(ActionFailed, match="docker3 is already in another swarm"):
                    apply(hosts, topology)
            finally:
                hosts.close()
            assert _swarm_states(lab) == swarm_before
            assert labelled_resources(lab, topology) == []
        finally:
            docker3.swarm.leave(force=True)
