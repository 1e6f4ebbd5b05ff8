"""Pure functions from snapshots to table rows and path hops: no Textual, easy to test and time."""

from __future__ import annotations

from collections.abc import Mapping

from lbtui.core.docker.snapshots import ContainerSnapshot, HostSnapshot, NetworkSnapshot
from lbtui.core.echo import shown
from lbtui.core.services.status import ServiceStatus
from lbtui.core.topology.limits import server_name
from lbtui.core.topology.model import Topology
from lbtui.tui.data.stats_view import VipView
from lbtui.tui.present.fault_text import Marks, mark_text
from lbtui.tui.present.hops import Hop, HopState
from lbtui.tui.present.service_rows import service_hop

Row = tuple[str, ...]
Rows = dict[str, Row]

#: Characters of an unreachable host's reason the hosts pane shows; enough for the reason
#: and its socket path (`no Docker socket at /run/... (socket missing: ...)`) in full.
REASON_WIDTH = 100

HOST_COLUMNS: Row = ("host", "endpoint", "reachable", "engine", "swarm", "containers", "polled")
NETWORK_COLUMNS: Row = (
    "network",
    "driver",
    "scope",
    "internal",
    "attachable",
    "subnet",
    "containers per host",
)
CONTAINER_COLUMNS: Row = (
    "host",
    "container",
    "image",
    "state",
    "health",
    "networks",
    "IPs",
    "ports",
    "topology",
    "fault",
)
#: The column whose non-empty cells the containers table styles as a fault.
FAULT_COLUMN = "fault"
#: The label swarm gives a task's container: the service it runs for.
SWARM_SERVICE_LABEL = "com.docker.swarm.service.name"


def age_text(polled_at: float, now: float) -> str:
    """How long ago a poll succeeded, coarse and 7 cells wide (`<5s ago`, `15s ago`, ` 3m ago`).

    Coarse on purpose: a text that changes every second repaints its pane every second.
    One width: a column whose width ticks (`5s ago`, `10s ago`) lays the screen out again.
    """
    seconds = max(0, int(now - polled_at))
    if seconds < 5:
        return "<5s ago"
    if seconds < 60:
        return f"{seconds // 5 * 5:>2}s ago"
    if seconds < 100 * 60:
        return f"{seconds // 60:>2}m ago"
    return f"{seconds // 3600:>2}h ago"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def host_rows(
    topology: Topology, hosts: Mapping[str, HostSnapshot], last_ok: Mapping[str, float], now: float
) -> Rows:
    """One row per topology host; `last_ok` holds when each host last answered."""
    rows: Rows = {}
    for name, host in topology.hosts.items():
        snap = hosts.get(name)
        polled = age_text(last_ok[name], now) if name in last_ok else "never"
        url = shown(host.url)
        if snap is None:
            rows[name] = (name, url, "…", "", "", "", polled)
            continue
        if not snap.reachable:
            reason = shown((snap.error or "no answer").splitlines()[0], limit=None)
            if len(reason) > REASON_WIDTH:
                reason = reason[: REASON_WIDTH - 1] + "…"
            rows[name] = (name, url, f"NO: {reason}", "", "", "", polled)
            continue
        swarm = snap.swarm_state or "inactive"
        if snap.swarm_role:
            swarm = f"{snap.swarm_role} ({swarm})"
        counts = f"{snap.containers_running}/{len(snap.containers)}"
        rows[name] = (name, url, "yes", snap.engine_version or "?", swarm, counts, polled)
    return rows


def _member_text(members: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{host}: {', '.join(names)}" for host, names in members.items() if names)


def network_rows(topology: Topology, hosts: Mapping[str, HostSnapshot]) -> Rows:
    """Networks across hosts (an overlay once), then the topology's planned ones."""
    merged: dict[str, list[NetworkSnapshot]] = {}
    for snap in hosts.values():
        for network in snap.networks:
            if network.driver in ("host", "null") and not network.members:
                continue  # Docker's built-in `host` and `none`: nothing to see there
            key = f"net/{network.name}" if network.name in topology.networks else network.id
            merged.setdefault(key, []).append(network)
    rows: Rows = {}
    for key, seen in sorted(merged.items(), key=lambda item: _network_order(topology, item[1][0])):
        first = seen[0]
        members: dict[str, list[str]] = {}
        for network in seen:
            names = [f"{m.network} {m.ip or ''}".strip() for m in network.members]
            members.setdefault(network.host, []).extend(names)
        subnet = ", ".join(first.subnets) or "-"
        # Each host has its own `bridge`, `docker_gwbridge`...: name the host to tell them apart.
        local = first.scope == "local" and len(seen) == 1
        rows[key] = (
            f"{first.name}@{first.host}" if local else first.name,
            first.driver,
            first.scope,
            _yes(first.internal),
            _yes(first.attachable),
            subnet,
            _member_text(members) or f"({', '.join(sorted({n.host for n in seen}))})",
        )
    for name, planned in topology.networks.items():
        key = f"net/{name}"
        if key not in rows:
            rows[key] = (
                name,
                planned.driver,
                "planned",
                _yes(planned.internal),
                _yes(planned.attachable),
                planned.subnet or "-",
                "not created yet",
            )
    return rows


def _network_order(topology: Topology, network: NetworkSnapshot) -> tuple[int, str, str]:
    return (0 if network.name in topology.networks else 1, network.name, network.host)


def _roles(topology: Topology) -> dict[tuple[str, str], str]:
    roles = {(b.host, b.name): "backend" for b in topology.backends.values()}
    for vip in topology.vips.values():
        roles[(vip.host, vip.container)] = f"LB of {vip.name}"
    return roles


def _container_row(container: ContainerSnapshot, role: str, mark: str) -> Row:
    networks = ", ".join(a.network for a in container.attachments) or "-"
    ips = ", ".join(a.ip for a in container.attachments if a.ip) or "-"
    ports = ", ".join(container.port_mappings)
    return (
        container.host,
        container.name,
        container.image,
        container.state,
        container.health or "-",
        networks,
        ips,
        ports or "-",
        f"● {role}" if role else "",
        mark,
    )


def container_rows(
    topology: Topology, hosts: Mapping[str, HostSnapshot], marks: Marks | None = None
) -> Rows:
    """Topology members first (planned ones too), then every other container; faults marked."""
    marks = marks or {}
    roles = _roles(topology)
    present: dict[tuple[str, str], ContainerSnapshot] = {
        (c.host, c.name): c for snap in hosts.values() for c in snap.containers
    }
    rows: Rows = {}
    for (host, name), role in roles.items():
        container = present.get((host, name))
        if container is not None:
            mark = marks.get((host, name))
            rows[f"{host}/{name}"] = _container_row(
                container, role, mark_text(mark) if mark else ""
            )
            continue
        snap = hosts.get(host)
        state = "planned" if snap is not None and snap.reachable else "unknown"
        image = _planned_image(topology, host, name)
        rows[f"{host}/{name}"] = (host, name, image, state, "-", "-", "-", "-", f"○ {role}", "")
    others = sorted(key for key in present if key not in roles)
    for host, name in others:
        container = present[(host, name)]
        service = container.labels.get(SWARM_SERVICE_LABEL, "")
        role = f"task of {service}" if service in topology.services else ""
        rows[f"{host}/{name}"] = _container_row(container, role, "")
    return rows


def _planned_image(topology: Topology, host: str, name: str) -> str:
    for backend in topology.backends.values():
        if (backend.host, backend.name) == (host, name):
            return backend.image
    for vip in topology.vips.values():
        if (vip.host, vip.container) == (host, name):
            return vip.image
    return "-"


def _container_hop(hosts: Mapping[str, HostSnapshot], host: str, name: str) -> tuple[str, HopState]:
    snap = hosts.get(host)
    if snap is None or not snap.reachable:
        return "host unreachable", "unknown"
    container = next((c for c in snap.containers if c.name == name), None)
    if container is None:
        return "not created", "planned"
    return container.state, "ok" if container.running else "bad"


def _faulted(hop: Hop, mark: str | None) -> Hop:
    # The fault explains whatever else the hop shows, so it decides the hop's state.
    return hop if not mark else Hop(hop.depth, f"{hop.text}, fault: {mark}", "fault")


def path_hops(
    topology: Topology,
    vip_name: str,
    hosts: Mapping[str, HostSnapshot],
    stats: VipView | None,
    marks: Marks | None = None,
    services: Mapping[str, ServiceStatus] | None = None,
    activity: Mapping[str, str] | None = None,
) -> list[Hop]:
    """The request path of a VIP, hop by hop, as the recipe's diagram draws it; faults marked.

    A swarm service's hop adds the manager's task count (`services`) and what is being done
    to it (`activity`: a scale or rollout in progress).
    """
    marks = marks or {}
    services = services or {}
    activity = activity or {}
    vip = topology.vips[vip_name]
    host = topology.hosts[vip.host]
    lb_snap = hosts.get(vip.host)
    reachable: HopState = "unknown" if lb_snap is None else ("ok" if lb_snap.reachable else "bad")
    where = f"{host.address or host.name}:{vip.publish}"
    hops = [Hop(0, f"client → {vip.host} {where}: host {_state_word(reachable)}", reachable)]
    lb_state, lb_hop = _container_hop(hosts, vip.host, vip.container)
    frontend = ""
    if stats is not None:
        frontend = ", frontend up" if stats.reachable else ", stats unreachable"
        if lb_hop == "ok" and not stats.reachable:
            lb_hop = "bad"
    bridge = " +bridge" if vip.connect_bridge else ""
    lb_mark = marks.get((vip.host, vip.container))
    hops.append(_faulted(Hop(1, f"{vip.container}: {lb_state}{frontend}", lb_hop), lb_mark))
    net = topology.networks.get(vip.network)
    driver = net.driver if net is not None else "?"
    exists = lb_snap is not None and any(n.name == vip.network for n in lb_snap.networks)
    net_state: HopState = "ok" if exists else ("planned" if lb_snap is not None else "unknown")
    net_word = "exists" if exists else "not created"
    hops.append(Hop(2, f"{vip.network} ({driver}{bridge}): {net_word}", net_state))
    for member in vip.servers:
        if member.backend in topology.services:
            status = services.get(member.backend)
            doing = activity.get(member.backend, "")
            hops.append(service_hop(member.backend, stats, status, doing))
            continue
        backend = topology.backends[member.backend]
        state, hop = _container_hop(hosts, backend.host, backend.name)
        server = (
            stats.server(server_name(backend.name))
            if stats is not None and stats.reachable
            else None
        )
        lb_view = ""
        if server is not None:
            lb_view = f", LB: {server.status}"
            if server.status_class != "-up" and hop == "ok":
                hop = "bad"
        text = f"{backend.name}@{backend.host}:{backend.port}: {state}{lb_view}"
        hops.append(_faulted(Hop(3, text, hop), marks.get((backend.host, backend.name))))
    return hops


def _state_word(state: HopState) -> str:
    return {"ok": "reachable", "bad": "UNREACHABLE", "planned": "planned", "unknown": "…"}[state]
