"""Which containers a fault target names: a backend, an LB container, or every one on a host."""

from __future__ import annotations

from dataclasses import dataclass

from lbtui.core.errors import BadInput
from lbtui.core.faults.model import HOST_PREFIX
from lbtui.core.topology.model import Topology
from lbtui.core.topology.yaml_nodes import suggestion


@dataclass(frozen=True)
class Placement:
    """A topology container: where it runs and the network the topology puts it on."""

    name: str
    host: str
    network: str
    role: str
    """`backend` or `lb`."""


def topology_containers(topology: Topology) -> tuple[Placement, ...]:
    """Every container the topology declares: backends, then LB containers."""
    backends = [Placement(b.name, b.host, b.network, "backend") for b in topology.backends.values()]
    lbs = [Placement(v.container, v.host, v.network, "lb") for v in topology.vips.values()]
    seen: set[tuple[str, str]] = set()
    unique = []
    for placement in [*backends, *lbs]:
        if (placement.host, placement.name) not in seen:
            seen.add((placement.host, placement.name))
            unique.append(placement)
    return tuple(unique)


def resolve_target(topology: Topology, target: str) -> tuple[Placement, ...]:
    """The containers `target` names; BadInput with the choices (and a likely typo) otherwise."""
    containers = topology_containers(topology)
    if target.startswith(HOST_PREFIX):
        host = target[len(HOST_PREFIX) :]
        if host not in topology.hosts:
            hosts = sorted(topology.hosts)
            raise BadInput(
                f"topology {topology.name} has no host {host!r}{suggestion(host, hosts)} "
                f"(hosts: {', '.join(hosts)})"
            )
        on_host = tuple(c for c in containers if c.host == host)
        if not on_host:
            raise BadInput(f"topology {topology.name} puts no container on host {host}")
        return on_host
    matches = tuple(c for c in containers if c.name == target)
    if matches:
        return matches[:1]
    names = [c.name for c in containers] + [f"{HOST_PREFIX}{h}" for h in topology.hosts]
    raise BadInput(
        f"topology {topology.name} has no backend or LB container {target!r}"
        f"{suggestion(target, names)} (targets: {', '.join(names)})"
    )
