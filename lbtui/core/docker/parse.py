"""Turn the Docker API's JSON (list endpoints, `info`) into lbtui's immutable snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lbtui.core.docker.snapshots import (
    Attachment,
    ContainerSnapshot,
    NetworkSnapshot,
    PublishedPort,
)


@dataclass(frozen=True)
class SwarmState:
    """A host's swarm membership, from `docker info`."""

    state: str
    """inactive, pending, active, error or locked."""
    node_id: str
    cluster_id: str
    """Only managers know it; empty on workers."""
    is_manager: bool
    node_addr: str
    remote_managers: tuple[str, ...]
    """Node IDs of the managers this node knows about."""

    @property
    def active(self) -> bool:
        """True when the host is part of a swarm."""
        return self.state == "active"


def swarm_from_info(info: Mapping[str, Any]) -> SwarmState:
    """The `Swarm` part of `docker info`."""
    swarm = info.get("Swarm") or {}
    cluster = swarm.get("Cluster") or {}
    managers = swarm.get("RemoteManagers") or []
    return SwarmState(
        state=str(swarm.get("LocalNodeState") or "inactive"),
        node_id=str(swarm.get("NodeID") or ""),
        cluster_id=str(cluster.get("ID") or ""),
        is_manager=bool(swarm.get("ControlAvailable")),
        node_addr=str(swarm.get("NodeAddr") or ""),
        remote_managers=tuple(str(m.get("NodeID", "")) for m in managers),
    )


def _health(status: str) -> str | None:
    for marker, health in (
        ("(healthy)", "healthy"),
        ("(unhealthy)", "unhealthy"),
        ("(health: starting)", "starting"),
    ):
        if marker in status:
            return health
    return None


def container_from_list(host: str, item: Mapping[str, Any]) -> ContainerSnapshot:
    """One entry of `GET /containers/json`."""
    names = item.get("Names") or []
    name = str(names[0]).lstrip("/") if names else str(item.get("Id", ""))[:12]
    networks = ((item.get("NetworkSettings") or {}).get("Networks")) or {}
    attachments = tuple(
        Attachment(network=str(net), ip=(settings or {}).get("IPAddress") or None)
        for net, settings in sorted(networks.items())
    )
    ports = tuple(
        PublishedPort(
            container_port=int(port["PrivatePort"]),
            protocol=str(port.get("Type", "tcp")),
            host_ip=str(port.get("IP", "")),
            host_port=int(port["PublicPort"]),
        )
        for port in item.get("Ports") or []
        if port.get("PublicPort")
    )
    status = str(item.get("Status", ""))
    return ContainerSnapshot(
        host=host,
        id=str(item.get("Id", "")),
        name=name,
        image=str(item.get("Image", "")),
        state=str(item.get("State", "")),
        status=status,
        health=_health(status),
        attachments=attachments,
        ports=ports,
        labels=dict(item.get("Labels") or {}),
        created=str(item.get("Created", "")),
    )


def network_from_list(
    host: str, item: Mapping[str, Any], containers: Iterable[ContainerSnapshot]
) -> NetworkSnapshot:
    """One entry of `GET /networks`, its members taken from the host's container list."""
    name = str(item.get("Name", ""))
    ipam = item.get("IPAM") or {}
    subnets = tuple(
        str(config["Subnet"]) for config in ipam.get("Config") or [] if config.get("Subnet")
    )
    members = tuple(
        Attachment(network=container.name, ip=attachment.ip)
        for container in containers
        for attachment in container.attachments
        if attachment.network == name
    )
    return NetworkSnapshot(
        host=host,
        id=str(item.get("Id", "")),
        name=name,
        driver=str(item.get("Driver", "")),
        scope=str(item.get("Scope", "")),
        internal=bool(item.get("Internal")),
        attachable=bool(item.get("Attachable")),
        subnets=subnets,
        members=members,
        labels=dict(item.get("Labels") or {}),
    )
