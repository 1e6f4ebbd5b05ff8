"""The gateway's read side on the real lab: host snapshots of an applied topology, events."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts, HostEvent
from lbtui.lab import WEB_IMAGE, LabStatus
from tests.integration.probes import sdk
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration


def test_cluster_snapshot_shows_the_applied_topology(
    lab: LabStatus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "snapshot-test")
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    hosts = DockerHosts(topology)
    try:
        apply(hosts, topology)
        cluster = {name: hosts.snapshot_host(name) for name in topology.hosts}
    finally:
        teardown(hosts, topology, leave_swarm=True)
        hosts.close()
    docker1, docker2 = cluster.get("docker1"), cluster.get("docker2")
    assert docker1 is not None and docker2 is not None
    assert all(h.reachable and h.engine_version for h in cluster.values())
    assert (docker1.swarm_state, docker1.swarm_role) == ("active", "manager")
    assert (docker2.swarm_role, docker2.swarm_cluster_id) == ("worker", None)
    assert docker1.swarm_cluster_id
    haproxy = next(c for c in docker1.containers if c.name == "haproxy")
    assert haproxy.running and haproxy.labels["lbtui.topology"] == topology.name
    assert {a.network for a in haproxy.attachments} == {"bridge", "presentation_backend"}
    assert all(a.ip for a in haproxy.attachments)
    assert {(p.host_port, p.container_port) for p in haproxy.ports} == {(80, 80)}
    overlay = next(n for n in docker1.networks if n.name == "presentation_backend")
    assert (overlay.driver, overlay.scope, overlay.internal, overlay.attachable) == (
        "overlay",
        "swarm",
        True,
        True,
    )
    assert [m.network for m in overlay.members] == ["haproxy"]
    assert [c.name for c in docker2.containers] == ["web1"]


def test_event_stream_delivers_and_closes(lab: LabStatus, tmp_path: Path) -> None:
    topology = lab_topology(lab, "single-host.yaml", tmp_path)
    hosts = DockerHosts(topology)
    events: queue.Queue[HostEvent] = queue.Queue()
    stream = hosts.events("docker1", {"type": ["container"], "event": ["start"]})

    def follow() -> None:
        for event in stream:
            events.put(event)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    with sdk(lab, "docker1") as docker1:
        container = docker1.containers.run(WEB_IMAGE, name="evented", detach=True)
        try:
            event = events.get(timeout=10)
        finally:
            container.remove(force=True)
    stream.close()
    thread.join(timeout=10)
    hosts.close()
    assert (event.host, event.type, event.action) == ("docker1", "container", "start")
    assert event.attributes["name"] == "evented"
    assert not thread.is_alive()
