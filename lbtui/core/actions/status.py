"""Status: per host, network, container and VIP, from host snapshots and the stats pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lbtui.core.actions.scope import network_homes
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.snapshots import ContainerSnapshot, HostSnapshot
from lbtui.core.errors import LbtuiError
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, vip_stats_url
from lbtui.core.services.status import ServiceStatus, service_statuses
from lbtui.core.topology.model import Topology, Vip
from lbtui.core.topology.pools import template_slots


@dataclass(frozen=True)
class HostStatus:
    """One host: reachable, engine, swarm."""

    name: str
    url: str
    reachable: bool
    engine: str
    swarm: str
    containers: str
    error: str = ""


@dataclass(frozen=True)
class NetworkStatus:
    """One declared network on one of its home hosts."""

    name: str
    host: str
    exists: bool
    driver: str
    internal: bool
    attachable: bool
    members: tuple[str, ...]


@dataclass(frozen=True)
class ContainerStatus:
    """One declared container (backend or LB)."""

    name: str
    host: str
    role: str
    state: str
    image: str
    networks: tuple[str, ...]
    ports: tuple[str, ...]


@dataclass(frozen=True)
class ServerStatus:
    """One pool member as HAProxy sees it."""

    name: str
    status: str
    check: str


@dataclass(frozen=True)
class VipStatus:
    """One VIP: its LB container's state and its servers from the stats page."""

    name: str
    host: str
    container: str
    state: str
    url: str
    servers: tuple[ServerStatus, ...]
    error: str = ""


@dataclass(frozen=True)
class TopologyStatus:
    """Everything `lbtui status` shows."""

    topology: str
    hosts: tuple[HostStatus, ...]
    networks: tuple[NetworkStatus, ...]
    containers: tuple[ContainerStatus, ...]
    vips: tuple[VipStatus, ...]
    services: tuple[ServiceStatus, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def collect_status(
    hosts: DockerGateway, topology: Topology, stats: StatsClient | None = None
) -> TopologyStatus:
    """Read every host (unreachable ones are reported, not raised) and every VIP's stats."""
    snapshots = {name: hosts.snapshot_host(name) for name in topology.hosts}
    owned_stats = stats is None
    client = stats or StatsClient()
    try:
        vips = tuple(_vip(topology, vip, snapshots, client) for vip in topology.vips.values())
    finally:
        if owned_stats:
            client.close()
    return TopologyStatus(
        topology=topology.name,
        hosts=tuple(_host(s) for s in snapshots.values()),
        networks=tuple(_networks(topology, snapshots)),
        containers=tuple(_containers(topology, snapshots)),
        vips=vips,
        services=service_statuses(hosts, topology),
    )


def _host(snapshot: HostSnapshot) -> HostStatus:
    swarm = snapshot.swarm_state or "-"
    if snapshot.swarm_role:
        swarm = f"{swarm} ({snapshot.swarm_role})"
    running = f"{snapshot.containers_running}/{len(snapshot.containers)}"
    return HostStatus(
        name=snapshot.name,
        url=snapshot.url,
        reachable=snapshot.reachable,
        engine=snapshot.engine_version or "-",
        swarm=swarm if snapshot.reachable else "-",
        containers=running if snapshot.reachable else "-",
        error=snapshot.error or "",
    )


def _networks(topology: Topology, snapshots: dict[str, HostSnapshot]) -> list[NetworkStatus]:
    rows = []
    for network in topology.networks.values():
        for home in network_homes(topology, network):
            found = next((n for n in snapshots[home].networks if n.name == network.name), None)
            members = tuple(
                f"{c.name}@{s.name}"
                for s in snapshots.values()
                for c in s.containers
                if any(a.network == network.name for a in c.attachments)
            )
            rows.append(
                NetworkStatus(
                    name=network.name,
                    host=home,
                    exists=found is not None,
                    driver=found.driver if found else network.driver,
                    internal=found.internal if found else network.internal,
                    attachable=found.attachable if found else network.attachable,
                    members=members,
                )
            )
    return rows


def _find(snapshots: dict[str, HostSnapshot], host: str, name: str) -> ContainerSnapshot | None:
    return next((c for c in snapshots[host].containers if c.name == name), None)


def _containers(topology: Topology, snapshots: dict[str, HostSnapshot]) -> list[ContainerStatus]:
    wanted = [(b.name, b.host, "backend", b.image) for b in topology.backends.values()]
    wanted += [(v.container, v.host, f"lb:{v.name}", v.image) for v in topology.vips.values()]
    rows = []
    for name, host, role, image in wanted:
        found = _find(snapshots, host, name)
        attachments = found.attachments if found else ()
        reachable = snapshots[host].reachable
        rows.append(
            ContainerStatus(
                name=name,
                host=host,
                role=role,
                state=(found.state if found else "missing") if reachable else "unknown",
                image=found.image if found else image,
                networks=tuple(f"{a.network} {a.ip or ''}".strip() for a in attachments),
                ports=found.port_mappings if found else (),
            )
        )
    return rows


def _vip(
    topology: Topology, vip: Vip, snapshots: dict[str, HostSnapshot], client: StatsClient
) -> VipStatus:
    found = _find(snapshots, vip.host, vip.container)
    state = found.state if found else "missing"
    if not snapshots[vip.host].reachable:
        state = "unknown"
    url = ""
    servers: tuple[ServerStatus, ...] = ()
    error = ""
    try:
        url = vip_stats_url(topology, vip)
        if found is not None and found.running:
            credentials = resolve_stats_credentials(topology, vip)
            stats = client.fetch(url, credentials, vip.frontend_name, vip.haproxy_backend)
            unused = template_slots(topology, vip)  # a service's slots without a task
            servers = tuple(
                ServerStatus(row.svname, row.state, row.check_status)
                for row in stats.servers
                if not (row.svname in unused and row.state == "MAINT")
            )
    except LbtuiError as failure:
        # Status reports every problem in place; one VIP's stats page must not hide the rest.
        error = str(failure)
    return VipStatus(vip.name, vip.host, vip.container, state, url, servers, error)
