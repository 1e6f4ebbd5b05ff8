"""The topology as lbtui understands it: immutable, validated, free of YAML.

`topology.load_topology()` builds these from a file; everything else (actions,
HAProxy rendering, the dashboard) reads them and never sees YAML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

NetworkDriver = Literal["overlay", "bridge"]
UpdateOrder = Literal["start-first", "stop-first"]

#: Label keys put on every resource lbtui creates, so that teardown and plan
#: find exactly what belongs to a topology and nothing else.
LABEL_TOPOLOGY = "lbtui.topology"
#: Which file (or explicit `id:`) the resource belongs to: two files may share a name.
LABEL_TOPOLOGY_ID = "lbtui.topology-id"
#: Swarm node label, set through a manager when lbtui initialised or joined that node;
#: its value is the topology id. `teardown --leave-swarm` leaves only such nodes.
LABEL_SWARM_MEMBER = "lbtui.swarm-member"
LABEL_ROLE = "lbtui.role"  # "backend", "lb", "network" or "service"
LABEL_VIP = "lbtui.vip"
LABEL_CONFIG_HASH = "lbtui.config-hash"
LABEL_SPEC_HASH = "lbtui.spec-hash"


@dataclass(frozen=True)
class TlsFiles:
    """Client certificate material for a `tcp://` Docker endpoint."""

    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Host:
    """A Docker engine lbtui drives."""

    name: str
    url: str
    address: str | None = None
    """Where the host's published ports are reached; what swarm advertises."""
    tls: TlsFiles | None = None
    insecure: bool = False
    """Plain `tcp://` without TLS, allowed only when asked for explicitly."""


@dataclass(frozen=True)
class Swarm:
    """Swarm settings, needed when an overlay network exists."""

    manager: str


@dataclass(frozen=True)
class Network:
    """A user-defined Docker network."""

    name: str
    driver: NetworkDriver = "overlay"
    internal: bool = False
    attachable: bool = True
    subnet: str | None = None


@dataclass(frozen=True)
class Backend:
    """A container that serves behind one or more VIPs."""

    name: str
    host: str
    image: str
    network: str
    port: int = 80
    command: tuple[str, ...] | None = None
    environment: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class UpdateSettings:
    """How swarm replaces a service's tasks when its spec changes."""

    parallelism: int = 1
    """Tasks replaced at a time."""
    order: UpdateOrder = "start-first"
    """start-first: the new task runs before the old one stops (no gap in capacity)."""


@dataclass(frozen=True)
class Service:
    """A swarm service: replicas of one image on an overlay, found by HAProxy through DNS."""

    name: str
    image: str
    network: str
    port: int = 80
    replicas: int = 1
    placement: tuple[str, ...] = ()
    """Topology hosts its tasks may run on; empty means any host of the topology."""
    command: tuple[str, ...] | None = None
    environment: tuple[tuple[str, str], ...] = ()
    update: UpdateSettings = field(default_factory=UpdateSettings)


@dataclass(frozen=True)
class PoolMember:
    """A backend or a service in a VIP's pool, with its load-balancing weight."""

    backend: str
    weight: int = 1


@dataclass(frozen=True)
class HealthCheck:
    """How HAProxy checks a pool member (`option httpchk METHOD PATH VERSION`)."""

    method: str = "HEAD"
    path: str = "/index.html"
    version: str = "HTTP/1.0"
    interval_ms: int = 2000
    rise: int = 2
    fall: int = 3


@dataclass(frozen=True)
class StatsPage:
    """The HAProxy stats page; the password never lives in the topology file."""

    uri: str = "/lbstats"
    user: str = "user"
    password_env: str | None = None
    """Environment variable holding the password; else one is generated and stored."""


@dataclass(frozen=True)
class Timeouts:
    """HAProxy's `timeout connect|client|server`, in milliseconds."""

    connect_ms: int = 5000
    client_ms: int = 50000
    server_ms: int = 50000


@dataclass(frozen=True)
class Vip:
    """A virtual IP: one HAProxy container in front of a pool of backends."""

    name: str
    host: str
    container: str
    image: str
    network: str
    publish: int
    servers: tuple[PoolMember, ...]
    frontend_port: int = 80
    connect_bridge: bool = False
    balance: str = "roundrobin"
    health_check: HealthCheck = field(default_factory=HealthCheck)
    stats: StatsPage = field(default_factory=StatsPage)
    timeouts: Timeouts = field(default_factory=Timeouts)
    frontend_name: str = "all"
    backend_name: str = ""
    """HAProxy backend section name; empty means `<vip name>_servers`."""
    log_target: str = "stdout format raw"
    log_facility: str = "local0"

    @property
    def haproxy_backend(self) -> str:
        """The backend section's name in haproxy.cfg."""
        return self.backend_name or f"{self.name}_servers"


@dataclass(frozen=True)
class Topology:
    """Everything one topology file declares."""

    name: str
    hosts: dict[str, Host]
    networks: dict[str, Network]
    backends: dict[str, Backend]
    vips: dict[str, Vip]
    swarm: Swarm | None = None
    source: Path | None = None
    id: str = ""
    """The topology's identity on the engines: its `id:` key, else `default_topology_id`."""
    services: dict[str, Service] = field(default_factory=dict)
    places: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    """Line and column of each field in the file, by dotted path (`vips.web.balance`), so that
    problems found after reading (rendering, credentials) point at the right place."""

    def place(self, path: str) -> tuple[int, int]:
        """Where `path` (or the nearest enclosing field the file gives) sits; (1, 1) if unknown."""
        while path:
            for candidate in (f"{path}#key", path):
                if candidate in self.places:
                    return self.places[candidate]
            # `vips.web.servers[1].weight` -> `vips.web.servers[1]` -> `vips.web.servers` -> ...
            path = path[: path.rindex("[")] if path.endswith("]") else path.rpartition(".")[0]
        return (1, 1)

    def labels(self, role: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The labels of a resource this topology owns."""
        labels = {LABEL_TOPOLOGY: self.name, LABEL_TOPOLOGY_ID: self.id, LABEL_ROLE: role}
        labels.update(extra or {})
        return labels

    def owns(self, labels: Mapping[str, str]) -> bool:
        """True when resource labels are this topology's: its name and its id.

        A resource with the name but no id label was made before topology ids
        existed; it counts as this topology's, as it did then.
        """
        if labels.get(LABEL_TOPOLOGY) != self.name:
            return False
        return labels.get(LABEL_TOPOLOGY_ID, self.id) == self.id


def default_topology_id(path: Path) -> str:
    """The id of a topology without an `id:` key: a hash of its file's resolved absolute path.

    The same file reached through another relative path or a symlink has the same
    id; a copy or a moved file is another topology (give both `id:` to keep one).
    """
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()
    return f"file-{digest[:16]}"
