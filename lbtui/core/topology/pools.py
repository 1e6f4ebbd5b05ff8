"""A VIP's pool as HAProxy names it: one server per backend, a slot per possible service task."""

from __future__ import annotations

from lbtui.core.topology.limits import backend_of, server_name, slot_names
from lbtui.core.topology.model import Topology, Vip


def pool_services(topology: Topology, vip: Vip) -> frozenset[str]:
    """The services in the VIP's pool."""
    return frozenset(m.backend for m in vip.servers if m.backend in topology.services)


def pool_servers(topology: Topology, vip: Vip) -> tuple[str, ...]:
    """Every HAProxy server name of the pool, in pool order (a service's slots in slot order)."""
    services = pool_services(topology, vip)
    names: list[str] = []
    for member in vip.servers:
        if member.backend in services:
            names += slot_names(member.backend)
        else:
            names.append(server_name(member.backend))
    return tuple(names)


def template_slots(topology: Topology, vip: Vip) -> frozenset[str]:
    """The pool's service slots: a slot without a task sits in MAINT, which is no fault."""
    return frozenset(name for s in pool_services(topology, vip) for name in slot_names(s))


def member_of(topology: Topology, vip: Vip, server: str) -> str:
    """The pool member (backend or service) an HAProxy server name of this VIP stands for."""
    return backend_of(server, pool_services(topology, vip))
