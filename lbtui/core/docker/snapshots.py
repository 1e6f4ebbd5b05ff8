"""Immutable pictures of the Docker hosts' state, taken by `docker.hosts` and shown by the UI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    """A container's interface on one network."""

    network: str
    ip: str | None


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on its host."""

    container_port: int
    protocol: str
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class ContainerSnapshot:
    """One container as its host reported it."""

    host: str
    id: str
    name: str
    image: str
    state: str
    """running, exited, created, restarting, paused, dead."""
    status: str
    """Docker's human text, e.g. "Up 3 minutes"."""
    health: str | None
    attachments: tuple[Attachment, ...]
    ports: tuple[PublishedPort, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    created: str = ""

    @property
    def running(self) -> bool:
        """True while the container's process runs."""
        return self.state == "running"

    @property
    def port_mappings(self) -> tuple[str, ...]:
        """`8090->80/tcp` once per mapping, in Docker's order.

        Docker lists a port published on every address twice (0.0.0.0 and ::); both
        say the same to a person. Mappings whose host ports differ stay distinct.
        """
        return tuple(
            dict.fromkeys(f"{p.host_port}->{p.container_port}/{p.protocol}" for p in self.ports)
        )


@dataclass(frozen=True)
class NetworkSnapshot:
    """One network as one host sees it, with the containers attached there."""

    host: str
    id: str
    name: str
    driver: str
    scope: str
    internal: bool
    attachable: bool
    subnets: tuple[str, ...]
    members: tuple[Attachment, ...]
    """Attached containers on this host: `network` holds the container's name here."""
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostSnapshot:
    """One Docker host at one moment; `reachable` False means the rest is stale or empty."""

    name: str
    url: str
    reachable: bool
    polled_at: float
    error: str | None = None
    engine_version: str | None = None
    engine_id: str | None = None
    swarm_state: str | None = None
    """inactive, pending, active, error, locked."""
    swarm_role: str | None = None
    """manager or worker when in a swarm."""
    swarm_cluster_id: str | None = None
    swarm_node_id: str | None = None
    containers: tuple[ContainerSnapshot, ...] = ()
    networks: tuple[NetworkSnapshot, ...] = ()

    @property
    def containers_running(self) -> int:
        """How many containers are running."""
        return sum(1 for container in self.containers if container.running)
