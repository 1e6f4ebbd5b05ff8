"""A service's HAProxy template slots in each VIP that follows it: read, drain, make ready.

HAProxy fills a slot with each address `tasks.NAME` resolves to, so a slot is a task
only through its address: `show servers state BACKEND` gives every slot's address, and
a task's address on the service's network names the slot it holds.

A slot that DNS gives a new task's address counts as UP at once and keeps the check
status (`L7OK`) of the slot's previous task: its stats say nothing about the new task.
So a rollout's gate forces each such slot's health down when it first sees the new
address there (`prove_new`), and counts the slot only after that (`serving` with `new`
and `forced`): only `rise` checks on the task bring it UP. A scale up does not: done
there, it made the lab's scale test fail requests with no server left (503) in three
runs of three, and the old tasks keep serving while the new ones prove themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Set
from dataclasses import dataclass

from lbtui.core.control.channel import runtime_command
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.haproxy.runtime import (
    AdminState,
    ServerState,
    batch,
    check_set_reply,
    parse_servers_state,
    set_server_health,
    set_server_state,
)
from lbtui.core.haproxy.stats import StatsRow, parse_stats_csv
from lbtui.core.topology.limits import slot_service
from lbtui.core.topology.model import Topology, Vip


@dataclass(frozen=True)
class Slot:
    """One template slot of a service in one VIP."""

    vip: str
    server: str
    address: str
    """The task address it holds; '' when it holds none."""
    admin: AdminState
    """ready, drain (lbtui's drain, or weight 0) or maint (also: no address)."""


def service_vips(topology: Topology, service: str) -> list[Vip]:
    """The VIPs whose pools name the service."""
    return [v for v in topology.vips.values() if any(m.backend == service for m in v.servers)]


def _address(state: ServerState) -> str:
    if state.resolution_failed or state.address in ("", "-", "0.0.0.0"):
        return ""
    return state.address


def read_slots(gateway: ExecGateway, vip: Vip, service: str) -> list[Slot]:
    """The service's slots in the VIP's running HAProxy, in slot order."""
    reply = runtime_command(gateway, vip, f"show servers state {vip.haproxy_backend}")
    slots = [
        Slot(vip.name, state.server, _address(state), state.admin_state)
        for state in parse_servers_state(reply)
        if state.backend == vip.haproxy_backend and slot_service(state.server) == service
    ]
    return sorted(slots, key=lambda slot: int(slot.server.rpartition(".")[2]))


def set_slots(gateway: ExecGateway, vip: Vip, servers: Iterable[str], state: AdminState) -> None:
    """Set the admin state of several slots of a VIP in one runtime API call."""
    commands = [set_server_state(vip.haproxy_backend, server, state) for server in servers]
    if commands:
        command = batch(*commands)
        check_set_reply(command, runtime_command(gateway, vip, command))


def slot_rows(gateway: ExecGateway, vip: Vip, service: str) -> dict[str, StatsRow]:
    """The stats rows (state, check, current sessions) of the service's slots, by slot name."""
    reply = runtime_command(gateway, vip, "show stat")
    return {
        row.svname: row
        for row in parse_stats_csv(reply, f"show stat of {vip.container}")
        if row.type == "server"
        and row.pxname == vip.haproxy_backend
        and slot_service(row.svname) == service
    }


#: (VIP, slot, address) of a slot whose health lbtui forced down for the task at that address.
Forced = tuple[str, str, str]


def _key(slot: Slot) -> Forced:
    return (slot.vip, slot.server, slot.address)


def unproven(slots: Iterable[Slot], new: Collection[str], forced: Set[Forced]) -> list[Slot]:
    """Slots holding a new task's address whose health was not yet forced down for it."""
    return [s for s in slots if s.address and s.address in new and _key(s) not in forced]


def prove_new(
    gateway: ExecGateway, vip: Vip, slots: Iterable[Slot], new: Collection[str], forced: set[Forced]
) -> None:
    """Force down the health of the VIP's slots that newly hold a new task's address.

    One runtime API call; `forced` gains them, so `serving` counts them once checks
    on the new task brought them UP again.
    """
    fresh = unproven(slots, new, forced)
    if fresh:
        command = batch(*(set_server_health(vip.haproxy_backend, s.server, "down") for s in fresh))
        check_set_reply(command, runtime_command(gateway, vip, command))
        forced.update(_key(s) for s in fresh)


def serving(
    rows: dict[str, StatsRow],
    slots: Collection[Slot],
    new: Collection[str] = (),
    forced: Set[Forced] = frozenset(),
) -> dict[str, str]:
    """Slot -> address of the slots UP in HAProxy after a passed check, one per address.

    A slot that has just been given an address leaves MAINT as UP before any check
    ran; it counts once its check passed. A slot holding one of the `new` addresses
    counts only once its health was forced down for that address (module docstring).
    """
    result: dict[str, str] = {}
    for slot in slots:
        row = rows.get(slot.server)
        passed = row is not None and row.check_status.removeprefix("* ").endswith("OK")
        up = slot.address and row is not None and row.state == "UP" and passed
        proven = slot.address not in new or _key(slot) in forced
        if up and proven and slot.address not in result.values():
            result[slot.server] = slot.address
    return result
