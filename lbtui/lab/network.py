"""The lab's wiring: one bridge in the root namespace, a namespace and veth pair per host."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lbtui.core.errors import LabError
from lbtui.lab.plan import NETNS_DIR, HostPlan, LabPlan, parse_netns_name
from lbtui.lab.system import run

SYS_NET = Path("/sys/class/net")


def link_exists(name: str) -> bool:
    """True when a network interface of that name exists in the root namespace."""
    return (SYS_NET / name).exists()


def link_master(name: str) -> str | None:
    """The bridge an interface is enslaved to, if any."""
    master = SYS_NET / name / "master"
    return Path(os.readlink(master)).name if master.is_symlink() else None


def link_is_up(name: str) -> bool:
    """True when the interface is administratively up."""
    try:
        flags = int((SYS_NET / name / "flags").read_text(), 16)
    except OSError:
        return False
    return bool(flags & 0x1)


def netns_exists(name: str) -> bool:
    """True when `ip netns` has a namespace of that name."""
    return (NETNS_DIR / name).exists()


def lab_namespaces(lab: str) -> dict[int, str]:
    """Host index -> namespace name, for every namespace of this lab that exists."""
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return {}
    found: dict[int, str] = {}
    for name in names:
        parsed = parse_netns_name(name)
        if parsed is not None and parsed[0] == lab:
            found[parsed[1]] = name
    return found


def conflicting_addresses(
    addr_json: Sequence[Mapping[str, Any]], subnet: ipaddress.IPv4Network, own_bridge: str
) -> list[str]:
    """Interfaces other than the lab's bridge holding an address that overlaps the subnet.

    `addr_json` is the output of `ip -j -4 addr show`.
    """
    conflicts = []
    for link in addr_json:
        ifname = str(link.get("ifname", "?"))
        if ifname == own_bridge:
            continue
        for info in link.get("addr_info", []):
            if info.get("family", "inet") != "inet":
                continue
            network = ipaddress.IPv4Network(f"{info['local']}/{info['prefixlen']}", strict=False)
            if network.overlaps(subnet):
                conflicts.append(f"{ifname} ({info['local']}/{info['prefixlen']})")
    return conflicts


def conflicting_routes(
    route_json: Sequence[Mapping[str, Any]], subnet: ipaddress.IPv4Network, own_bridge: str
) -> list[str]:
    """Routes, other than the default and the lab's own, whose destination overlaps the subnet.

    `route_json` is the output of `ip -j -4 route show table all`. A lab on such a
    range would take those addresses over on this machine (its route is more specific).
    """
    conflicts = []
    for route in route_json:
        destination = str(route.get("dst", ""))
        if destination == "default" or route.get("dev") == own_bridge:
            continue
        try:
            network = ipaddress.IPv4Network(destination, strict=False)
        except ValueError:
            continue
        if not network.overlaps(subnet):
            continue
        words = [str(route.get("type", "")) if route.get("type") else "", destination]
        words += [f"via {route['gateway']}"] if route.get("gateway") else []
        words += [f"dev {route['dev']}"] if route.get("dev") else []
        words += [f"table {route['table']}"] if route.get("table") else []
        conflicts.append(" ".join(w for w in words if w))
    return conflicts


def check_subnet_free(plan: LabPlan) -> None:
    """Raise LabError when an interface or a route of the root namespace uses the lab's range."""
    subnet = plan.spec.network
    addresses = run(["ip", "-j", "-4", "addr", "show"]).stdout
    routes = run(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout
    used_on = conflicting_addresses(json.loads(addresses or "[]"), subnet, plan.bridge)
    shadowed = conflicting_routes(json.loads(routes or "[]"), subnet, plan.bridge)
    parts = [f"is already in use on {', '.join(used_on)}"] if used_on else []
    if shadowed:
        parts.append(f"overlaps the route{'s' if len(shadowed) > 1 else ''} {'; '.join(shadowed)}")
    if parts:
        raise LabError(
            f"address range {plan.spec.subnet} of lab {plan.name} {' and '.join(parts)}: "
            "choose another with --subnet"
        )


def bridge_ok(plan: LabPlan) -> bool:
    """True when the bridge exists, is up and holds the lab's gateway address."""
    if not (link_exists(plan.bridge) and link_is_up(plan.bridge)):
        return False
    return f"{plan.gateway}/{plan.prefixlen}" in _addresses(plan.bridge)


def ensure_bridge(plan: LabPlan) -> None:
    """Create the bridge (or repair its address and state)."""
    if not link_exists(plan.bridge):
        run(["ip", "link", "add", plan.bridge, "type", "bridge"])
    wanted = f"{plan.gateway}/{plan.prefixlen}"
    present = _addresses(plan.bridge)
    for address in present - {wanted}:
        run(["ip", "addr", "del", address, "dev", plan.bridge])
    if wanted not in present:
        run(["ip", "addr", "add", wanted, "dev", plan.bridge])
    run(["ip", "link", "set", plan.bridge, "up"])


def run_ip_link_del(name: str) -> None:
    """Delete an interface if it exists."""
    if link_exists(name):
        run(["ip", "link", "del", name])


def delete_bridge(plan: LabPlan) -> None:
    """Remove the bridge if it exists."""
    if link_exists(plan.bridge):
        run(["ip", "link", "del", plan.bridge])


def veth_attached(plan: LabPlan, host: HostPlan) -> bool:
    """True when the host's veth is up on the lab's bridge."""
    return link_master(host.veth) == plan.bridge and link_is_up(host.veth)


def attach_veth(plan: LabPlan, host: HostPlan) -> None:
    """Put the host's veth (back) on the bridge, e.g. after the bridge was recreated."""
    run(["ip", "link", "set", host.veth, "master", plan.bridge, "up"])


def create_host_net(plan: LabPlan, host: HostPlan) -> None:
    """Create the host's namespace and wire it to the bridge with its address."""
    ns = ["ip", "-n", host.netns]
    run(["ip", "netns", "add", host.netns])
    run(
        [
            "ip",
            "link",
            "add",
            host.veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            host.netns,
        ]
    )
    run(["ip", "link", "set", host.veth, "master", plan.bridge, "up"])
    run([*ns, "addr", "add", f"{host.address}/{plan.prefixlen}", "dev", "eth0"])
    run([*ns, "link", "set", "lo", "up"])
    run([*ns, "link", "set", "eth0", "up"])
    run([*ns, "route", "add", "default", "via", plan.gateway])


def delete_host_net(host: HostPlan) -> None:
    """Remove the host's namespace and veth, whichever exist."""
    if netns_exists(host.netns):
        run(["ip", "netns", "del", host.netns])
    if link_exists(host.veth):
        run(["ip", "link", "del", host.veth])


def _addresses(ifname: str) -> set[str]:
    output = run(["ip", "-j", "-4", "addr", "show", "dev", ifname]).stdout
    return {
        f"{info['local']}/{info['prefixlen']}"
        for link in json.loads(output or "[]")
        for info in link.get("addr_info", [])
    }


def stale_veths(lab: str, keep: Iterable[str]) -> list[str]:
    """Veths of this lab left in the root namespace that the current plan does not use."""
    prefix = f"lb-{lab}-"
    kept = set(keep)
    try:
        names = os.listdir(SYS_NET)
    except FileNotFoundError:
        return []
    return sorted(
        name
        for name in names
        if name.startswith(prefix) and name[len(prefix) :].isdigit() and name not in kept
    )
