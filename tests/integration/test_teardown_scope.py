"""Teardown touches only what is this topology's: its id, and swarm nodes lbtui put there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lbtui.cli import main
from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import LABEL_TOPOLOGY, LABEL_TOPOLOGY_ID
from lbtui.lab import LabStatus
from tests.integration.probes import sdk
from tests.integration.topologies import lab_topology, unique_name

pytestmark = pytest.mark.integration

SWARM_PORT = 2377


@pytest.fixture(autouse=True)
def _stats_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "scope-test")


def _swarm(lab: LabStatus, host: str) -> tuple[str, bool]:
    with sdk(lab, host) as client:
        swarm = client.info()["Swarm"]
    return str(swarm["LocalNodeState"]), bool(swarm.get("ControlAvailable"))


@pytest.fixture
def foreign_swarm(lab: LabStatus) -> Iterator[None]:
    """docker1 manages a swarm made with the SDK alone, docker2 joined it: none of lbtui's."""
    manager = lab.host("docker1").address
    with sdk(lab, "docker1") as client:
        client.swarm.init(advertise_addr=manager, listen_addr=f"{manager}:{SWARM_PORT}")
        token = client.swarm.attrs["JoinTokens"]["Worker"]
    worker = lab.host("docker2").address
    with sdk(lab, "docker2") as client:
        client.swarm.join(
            remote_addrs=[f"{manager}:{SWARM_PORT}"],
            join_token=token,
            listen_addr=f"{worker}:{SWARM_PORT}",
            advertise_addr=worker,
        )
    try:
        yield
    finally:
        for host in ("docker3", "docker2", "docker1"):
            with sdk(lab, host) as client:
                if client.info()["Swarm"]["LocalNodeState"] != "inactive":
                    client.swarm.leave(force=True)


@pytest.mark.usefixtures("foreign_swarm")
def test_leave_swarm_keeps_a_swarm_made_outside_lbtui(
    lab: LabStatus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    assert topology.source is not None
    hosts = DockerHosts(topology)
    try:
        # docker1 and docker2 are already in the swarm (kept); lbtui joins docker3 itself.
        apply(hosts, topology)  # waits itself for the joined host's overlay DNS
    finally:
        hosts.close()
    capsys.readouterr()

    assert main(["teardown", str(topology.source), "--leave-swarm"]) == 0

    out = capsys.readouterr().out
    assert _swarm(lab, "docker1") == ("active", True)  # the foreign manager stays
    assert _swarm(lab, "docker2") == ("active", False)
    assert _swarm(lab, "docker3")[0] == "inactive"  # the one lbtui joined has left
    assert "docker1" in out and "docker2" in out
    assert out.count("lbtui did not initialise or join it to: left alone") == 2
    assert "lbtui put it in the swarm" in out
    assert "Traceback" not in out


def _containers(lab: LabStatus, host: str, name: str) -> dict[str, str]:
    """Container name -> topology id label, for containers labelled with topology `name`."""
    with sdk(lab, host) as client:
        found = client.containers.list(all=True, filters={"label": f"{LABEL_TOPOLOGY}={name}"})
        return {c.name: c.labels.get(LABEL_TOPOLOGY_ID, "") for c in found}


def test_a_second_file_with_the_same_name_does_not_remove_the_firsts_containers(
    lab: LabStatus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique_name("twins")
    first = lab_topology(lab, "single-host.yaml", tmp_path, name=name)
    assert first.source is not None
    # The same name in another file that declares docker1 too (so its teardown looks
    # there) but runs everything on docker2.
    data = yaml.safe_load(first.source.read_text(encoding="utf-8"))
    docker2 = lab.host("docker2")
    data["hosts"]["docker2"] = {"url": docker2.socket_url, "address": docker2.address}
    for backend in data["backends"].values():
        backend["host"] = "docker2"
    data["vips"]["single"]["host"] = "docker2"
    second_path = tmp_path / "elsewhere" / "twin.yaml"
    second_path.parent.mkdir()
    second_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    second = load_topology(second_path, check_files=True)
    assert (first.name, first.id != second.id) == (second.name, True)

    for topology in (first, second):
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
        finally:
            hosts.close()
    ours = {"solo1", "solo2", "single_lb"}
    assert _containers(lab, "docker1", name) == dict.fromkeys(ours, first.id)
    assert _containers(lab, "docker2", name) == dict.fromkeys(ours, second.id)
    capsys.readouterr()

    assert main(["teardown", str(second_path)]) == 0

    out = capsys.readouterr().out
    assert _containers(lab, "docker1", name) == dict.fromkeys(ours, first.id)
    assert _containers(lab, "docker2", name) == {}
    assert out.count(f"belongs to another file named {name} (id {first.id}): left alone") == 4
    with sdk(lab, "docker1") as client:
        assert client.networks.list(names=["single_backend"])  # the first file's network stays
    hosts = DockerHosts(first)
    try:
        done = teardown(hosts, first)
    finally:
        hosts.close()
    assert {c.target for c in done if c.host == "docker1"} >= ours
    assert _containers(lab, "docker1", name) == {}
