"""One named server of the VIPs that use a backend, steered through each LB's runtime API.

A container rollout needs four things of HAProxy per server: drain it, stop its checks
while no container answers (maintenance), point it at the new container's address with
its health forced down (so only `rise` passed checks on that address bring it UP), and
read whether that happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbtui.core.control.channel import runtime_command
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.haproxy.runtime import (
    AdminState,
    batch,
    check_addr_reply,
    check_set_reply,
    parse_servers_state,
    set_server_addr,
    set_server_health,
    set_server_state,
)
from lbtui.core.haproxy.stats import parse_stats_csv
from lbtui.core.topology.model import Topology, Vip


@dataclass(frozen=True)
class ServerView:
    """What one LB says about one server now."""

    vip: str
    op_state: str
    """stopped, starting, running or stopping (HAProxy's operational state)."""
    admin: AdminState
    address: str
    status: str
    check: str
    """The last check's status and description, e.g. `L4CON Connection refused`."""
    sessions: int


def lb_running(gateway: ExecGateway, vip: Vip) -> bool:
    """True when the VIP's LB container exists and runs."""
    found = gateway.find_container(vip.host, vip.container)
    return found is not None and found.running


def vips_serving(gateway: ExecGateway, topology: Topology, backend: str) -> list[Vip]:
    """The VIPs whose pool names `backend` and whose running LB has it as a server."""
    vips = []
    for vip in topology.vips.values():
        if not any(m.backend == backend for m in vip.servers) or not lb_running(gateway, vip):
            continue
        reply = runtime_command(gateway, vip, f"show servers state {vip.haproxy_backend}")
        if any(s.server == backend for s in parse_servers_state(reply)):
            vips.append(vip)
    return vips


def view(gateway: ExecGateway, vip: Vip, server: str) -> ServerView | None:
    """The server as the VIP's LB sees it; None when the LB has no such server."""
    reply = runtime_command(gateway, vip, f"show servers state {vip.haproxy_backend}")
    state = next((s for s in parse_servers_state(reply) if s.server == server), None)
    if state is None:
        return None
    rows = parse_stats_csv(runtime_command(gateway, vip, "show stat"), vip.container)
    row = next((r for r in rows if r.pxname == vip.haproxy_backend and r.svname == server), None)
    check = f"{row.check_status} {row.check_desc}".strip() if row is not None else ""
    return ServerView(
        vip=vip.name,
        op_state=state.op_state,
        admin=state.admin_state,
        address=state.address,
        status=row.status if row is not None else "",
        check=check,
        sessions=row.scur if row is not None else 0,
    )


def set_state(gateway: ExecGateway, vip: Vip, server: str, state: AdminState) -> None:
    """`set server ... state` on one LB."""
    command = set_server_state(vip.haproxy_backend, server, state)
    check_set_reply(command, runtime_command(gateway, vip, command))


def point_at(gateway: ExecGateway, vip: Vip, server: str, address: str, port: int) -> None:
    """Point a server in maintenance at `address`, drained, health down until checks pass.

    Leaving maintenance counts a checked server as UP before any check ran (HAProxy then
    checks at once): forcing its health down right after makes `rise` checks on the new
    address the only way back to UP, and the drain keeps traffic off until lbtui enables it.
    """
    command = set_server_addr(vip.haproxy_backend, server, address, port)
    check_addr_reply(command, runtime_command(gateway, vip, command))
    command = batch(
        set_server_state(vip.haproxy_backend, server, "drain"),
        set_server_health(vip.haproxy_backend, server, "down"),
    )
    check_set_reply(command, runtime_command(gateway, vip, command))
