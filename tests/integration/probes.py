"""What integration tests look at: the hosts through the docker SDK, the VIPs over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import httpx

from lbtui.core.actions import apply, teardown
from lbtui.core.actions.lb import render_vip
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, StatsRow, StatsUnavailable, vip_stats_url
from lbtui.core.topology.model import LABEL_TOPOLOGY, Topology
from lbtui.lab import LabStatus

#: Bound on every wait for the lab to reach a state.
DEADLINE_S = 30.0


@contextmanager
def sdk(lab: LabStatus, host: str) -> Iterator[docker.DockerClient]:
    """A plain SDK client on a lab host's unix socket (independent of lbtui's gateway)."""
    client = docker.DockerClient(base_url=lab.host(host).socket_url, version="1.41", timeout=30)
    try:
        yield client
    finally:
        client.close()


def container_ids(lab: LabStatus, topology: Topology) -> dict[str, str]:
    """Name -> ID of every container labelled with the topology, on every host."""
    ids: dict[str, str] = {}
    for host in topology.hosts:
        with sdk(lab, host) as client:
            for c in client.containers.list(all=True, filters={"label": _label(topology)}):
                ids[f"{c.name}@{host}"] = c.id
    return ids


def labelled_resources(lab: LabStatus, topology: Topology) -> list[str]:
    """Every container and network on any host carrying the topology's label."""
    found = [f"container {name}" for name in container_ids(lab, topology)]
    for host in topology.hosts:
        with sdk(lab, host) as client:
            found += [
                f"network {n.name}@{host}"
                for n in client.networks.list(filters={"label": _label(topology)})
            ]
    return found


def _label(topology: Topology) -> str:
    return f"{LABEL_TOPOLOGY}={topology.name}"


def served_by(address: str, port: int, count: int) -> list[str]:
    """Who answered each of `count` requests (a new connection each), from the page itself."""
    names = []
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        for _ in range(count):
            response = client.get(f"http://{address}:{port}/", headers={"Connection": "close"})
            response.raise_for_status()
            names.append(response.text.strip().split()[-1])
    return names


def wait_servers_up(topology: Topology, vip_name: str) -> list[StatsRow]:
    """Poll the VIP's stats page until every pool member is UP after a check; its server rows."""
    vip = topology.vips[vip_name]
    url = vip_stats_url(topology, vip)
    credentials = resolve_stats_credentials(topology, vip)
    wanted = {m.backend for m in vip.servers}
    deadline = time.monotonic() + DEADLINE_S
    last: list[StatsRow] = []
    with StatsClient() as stats:
        while time.monotonic() < deadline:
            try:
                rows = stats.fetch(url, credentials, vip.frontend_name, vip.haproxy_backend)
            except StatsUnavailable:
                rows = None
            if rows is not None:
                last = list(rows.servers)
                checked = {r.svname for r in last if r.state == "UP" and r.check_status != "INI"}
                if checked >= wanted:
                    return last
            time.sleep(0.2)
    raise AssertionError(f"servers of {vip_name} not all UP within {DEADLINE_S} s: {last}")


def running_config(lab: LabStatus, topology: Topology, vip_name: str) -> bool:
    """True when the VIP's container holds the configuration the topology renders now."""
    vip = topology.vips[vip_name]
    with sdk(lab, vip.host) as client:
        stream, _ = client.api.get_archive(vip.container, "/usr/local/etc/haproxy/haproxy.cfg")
        archive = b"".join(stream)
    return render_vip(topology, vip).text.encode() in archive


def wait_serving(address: str, port: int, names: set[str]) -> None:
    """Request until the last len(names) answers came from exactly `names` (bounded wait).

    Used after a backend was recreated: HAProxy needs a moment to resolve its new address,
    and requests in that window may fail; the wait is on the state, never a sleep.
    """
    deadline = time.monotonic() + DEADLINE_S
    recent: list[str] = []
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                response = client.get(f"http://{address}:{port}/", headers={"Connection": "close"})
            except httpx.TransportError:
                continue
            if response.status_code == 200:
                recent = [*recent, response.text.strip().split()[-1]][-len(names) :]
                if set(recent) == names:
                    return
    raise AssertionError(f"{address}:{port} not served by {sorted(names)} within {DEADLINE_S} s")


def snapshot_through(topology: Topology, host: str) -> HostSnapshot:
    """One snapshot of `host` through lbtui's gateway, over the URL the topology gives it."""
    hosts = DockerHosts(topology)
    try:
        hosts.require_reachable([host])
        return hosts.snapshot_host(host)
    finally:
        hosts.close()


def single_host_round_trip(lab: LabStatus, topology: Topology) -> None:
    """Apply the single-host sample, see both backends answer through its VIP, tear it down."""
    hosts = DockerHosts(topology)
    try:
        apply(hosts, topology)
        wait_servers_up(topology, "single")
        served = set(served_by(lab.host("docker1").address, 8080, 4))
        assert served == {"solo1", "solo2"}, f"served by {served}"
    finally:
        teardown(hosts, topology)
        hosts.close()
    left = labelled_resources(lab, topology)
    assert left == [], f"left after teardown: {left}"
