"""Pick a VIP of a topology by name, and say where its published port answers."""

from __future__ import annotations

from lbtui.core.errors import BadInput
from lbtui.core.topology.limits import backend_of, server_name
from lbtui.core.topology.model import Topology, Vip
from lbtui.core.topology.yaml_nodes import suggestion


def select_vip(topology: Topology, name: str) -> Vip:
    """The VIP called `name`; BadInput naming the choices (and a likely typo) otherwise."""
    vip = topology.vips.get(name)
    if vip is not None:
        return vip
    choices = sorted(topology.vips)
    known = ", ".join(choices) or "none"
    raise BadInput(
        f"topology {topology.name} has no VIP {name!r}{suggestion(name, choices)} (VIPs: {known})"
    )


def select_server(vip: Vip, name: str) -> str:
    """The backend of `vip`'s pool whose HAProxy server is `name`; BadInput naming the pool."""
    members = [server_name(member.backend) for member in vip.servers]
    if name in members:
        return backend_of(name)
    raise BadInput(
        f"VIP {vip.name} has no server {name!r}{suggestion(name, members)} "
        f"(servers: {', '.join(members)})"
    )


def vip_url(topology: Topology, vip: Vip, path: str = "/") -> str:
    """`http://<LB host address>:<publish><path>`: where clients reach the VIP."""
    host = topology.hosts.get(vip.host)
    if host is None or not host.address:
        raise BadInput(
            f"vips.{vip.name}: host {vip.host!r} has no address; set hosts.{vip.host}.address "
            "to where its published ports answer"
        )
    address = f"[{host.address}]" if ":" in host.address else host.address
    return f"http://{address}:{vip.publish}{path}"
