"""The gateway without an engine: connections per URL scheme, snapshots from API JSON, errors."""

from __future__ import annotations

from pathlib import Path

import docker.tls
import pytest

from lbtui.core.docker.connect import HostLink, connection_for
from lbtui.core.docker.hosts import DockerHosts, EventStream
from lbtui.core.docker.parse import container_from_list, network_from_list, swarm_from_info
from lbtui.core.errors import BadInput, HostUnreachable
from lbtui.core.topology.model import Host, TlsFiles, Topology

LIST_ITEM = {
    "Id": "abc123def456789",
    "Names": ["/haproxy"],
    "Image": "lbtui/haproxy:lab",
    "State": "running",
    "Status": "Up 3 minutes (healthy)",
    "Labels": {"lbtui.topology": "presentation"},
    "Created": 1700000000,
    "Ports": [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 80, "Type": "tcp"},
        {"PrivatePort": 9000, "Type": "tcp"},
    ],
    "NetworkSettings": {
        "Networks": {
            "presentation_backend": {"IPAddress": "10.0.1.8"},
            "bridge": {"IPAddress": ""},
        }
    },
}

INFO = {
    "ServerVersion": "20.10.24",
    "Swarm": {
        "LocalNodeState": "active",
        "NodeID": "node1",
        "NodeAddr": "198.18.0.11",
        "ControlAvailable": True,
        "Cluster": {"ID": "cluster1"},
        "RemoteManagers": [{"NodeID": "node1", "Addr": "198.18.0.11:2377"}],
    },
}


def _topology(*hosts: Host) -> Topology:
    return Topology("t", {h.name: h for h in hosts}, {}, {}, {})


def test_unix_and_ssh_urls() -> None:
    assert connection_for(Host("a", "unix:///run/x.sock")).kwargs == {
        "base_url": "unix:///run/x.sock"
    }
    ssh = connection_for(Host("b", "ssh://ops@remote"))
    assert ssh.kwargs == {"base_url": "ssh://ops@remote", "use_ssh_client": True}


def test_tcp_with_tls_uses_the_topologys_ca_and_client_cert(tmp_path: Path) -> None:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    files = TlsFiles(tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")
    connection = connection_for(Host("a", "tcp://198.18.0.11:2376", tls=files))
    assert connection.kwargs["base_url"] == "https://198.18.0.11:2376"
    tls = connection.kwargs["tls"]
    assert isinstance(tls, docker.tls.TLSConfig)
    assert tls.ca_cert == str(files.ca)
    assert tls.cert == (str(files.cert), str(files.key))
    assert connection.warning is None


def test_plain_tcp_needs_insecure_and_then_warns() -> None:
    with pytest.raises(BadInput, match="tcp:// needs `tls"):
        connection_for(Host("a", "tcp://198.18.0.11:2375"))
    insecure = connection_for(Host("a", "tcp://198.18.0.11:2375", insecure=True))
    assert insecure.warning is not None and "without TLS" in insecure.warning
    hosts = DockerHosts(_topology(Host("a", "tcp://198.18.0.11:2375", insecure=True)))
    assert hosts.warnings == [insecure.warning]


def test_unknown_scheme_is_bad_input() -> None:
    with pytest.raises(BadInput, match="unsupported URL"):
        connection_for(Host("a", "http://x"))


def test_clients_never_trust_the_environment() -> None:
    link = HostLink(connection_for(Host("a", "unix:///nonexistent/docker.sock")))
    try:
        assert link._pinger.trust_env is False
    finally:
        link.close()


def test_a_missing_socket_is_unreachable_with_host_and_url(tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/docker.sock"
    hosts = DockerHosts(_topology(Host("docker9", url)))
    try:
        with pytest.raises(HostUnreachable) as raised:
            hosts.require_reachable(["docker9"])
        snapshot = hosts.snapshot_host("docker9")
    finally:
        hosts.close()
    assert (raised.value.host, raised.value.url) == ("docker9", url)
    assert "no Docker socket" in raised.value.reason
    assert not snapshot.reachable and snapshot.error == raised.value.reason


def test_an_ssh_host_without_an_ssh_client_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    hosts = DockerHosts(_topology(Host("docker9", "ssh://root@127.0.0.1:1")))
    try:
        with pytest.raises(HostUnreachable) as raised:
            hosts.require_reachable(["docker9"])
    finally:
        hosts.close()
    assert "no `ssh` client on PATH" in raised.value.reason


def test_container_from_list_json() -> None:
    container = container_from_list("docker1", LIST_ITEM)
    assert (container.name, container.state, container.health) == ("haproxy", "running", "healthy")
    assert [(a.network, a.ip) for a in container.attachments] == [
        ("bridge", None),
        ("presentation_backend", "10.0.1.8"),
    ]
    assert [(p.host_port, p.container_port) for p in container.ports] == [(80, 80)]
    assert container.labels == {"lbtui.topology": "presentation"}


def test_network_members_come_from_the_containers() -> None:
    container = container_from_list("docker1", LIST_ITEM)
    network = network_from_list(
        "docker1",
        {
            "Id": "n1",
            "Name": "presentation_backend",
            "Driver": "overlay",
            "Scope": "swarm",
            "Internal": True,
            "Attachable": True,
            "IPAM": {"Config": [{"Subnet": "10.0.1.0/24"}]},
        },
        [container],
    )
    assert (network.internal, network.attachable, network.subnets) == (True, True, ("10.0.1.0/24",))
    assert [(m.network, m.ip) for m in network.members] == [("haproxy", "10.0.1.8")]


def test_swarm_from_info() -> None:
    swarm = swarm_from_info(INFO)
    assert swarm.active and swarm.is_manager
    assert (swarm.node_id, swarm.cluster_id, swarm.remote_managers) == (
        "node1",
        "cluster1",
        ("node1",),
    )
    assert not swarm_from_info({}).active


class _Stream:
    def __init__(self, items: list[dict[str, object]]) -> None:
        self.items = items
        self.closed = False

    def __iter__(self) -> object:
        return iter(self.items)

    def close(self) -> None:
        self.closed = True


def test_event_stream_yields_typed_events_and_closes() -> None:
    raw = _Stream(
        [
            {
                "Type": "container",
                "Action": "start",
                "Actor": {"ID": "abc", "Attributes": {"name": "web1"}},
                "timeNano": 1_700_000_000_500_000_000,
            }
        ]
    )
    stream = EventStream("docker2", raw)
    (event,) = list(stream)
    assert (event.host, event.type, event.action, event.actor_id) == (
        "docker2",
        "container",
        "start",
        "abc",
    )
    assert event.attributes == {"name": "web1"}
    assert event.time == pytest.approx(1_700_000_000.5)
    stream.close()
    assert raw.closed
