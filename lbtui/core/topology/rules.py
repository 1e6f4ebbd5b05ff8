"""Checks across fields of a topology: what no single value can show wrong on its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from urllib.parse import urlsplit

from lbtui.core.topology.model import Topology
from lbtui.core.topology.yaml_nodes import Reader


def check_topology(topology: Topology, reader: Reader, *, swarm_given: bool) -> None:
    """Report swarm, network-span, pool, port and container-name conflicts."""
    _overlays_need_swarm(topology, reader, swarm_given)
    _bridges_stay_on_one_host(topology, reader)
    _overlays_with_members_are_attachable(topology, reader)
    _pools_share_the_lb_network(topology, reader)
    _published_ports_unique(topology, reader)
    _container_names_unique(topology, reader)


def _place(reader: Reader, *paths: str) -> tuple[int, int]:
    for path in paths:
        if path in reader.marks:
            return reader.marks[path]
    return (1, 1)


def _overlays_need_swarm(topology: Topology, reader: Reader, swarm_given: bool) -> None:
    if topology.swarm is not None or swarm_given:
        return
    for network in topology.networks.values():
        if network.driver == "overlay":
            path = f"networks.{network.name}"
            reader.report(
                _place(reader, f"{path}.driver", f"{path}#key"),
                path,
                "an overlay network needs swarm mode: add 'swarm: {manager: HOST}', "
                "or use driver: bridge when everything runs on one host",
            )


def _bridges_stay_on_one_host(topology: Topology, reader: Reader) -> None:
    members: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for backend in topology.backends.values():
        members[backend.network][backend.host].append(backend.name)
    for vip in topology.vips.values():
        members[vip.network][vip.host].append(vip.container)
    for network in topology.networks.values():
        by_host = members.get(network.name, {})
        if network.driver != "bridge" or len(by_host) < 2:
            continue
        spread = "; ".join(f"{host}: {', '.join(names)}" for host, names in sorted(by_host.items()))
        path = f"networks.{network.name}"
        reader.report(
            _place(reader, f"{path}.driver", f"{path}#key"),
            path,
            f"a bridge network is local to one host, but its members run on "
            f"{len(by_host)} hosts ({spread}); use driver: overlay",
        )


def _overlays_with_members_are_attachable(topology: Topology, reader: Reader) -> None:
    used = {b.network for b in topology.backends.values()}
    used |= {v.network for v in topology.vips.values()}
    for network in topology.networks.values():
        if network.driver == "overlay" and not network.attachable and network.name in used:
            path = f"networks.{network.name}.attachable"
            reader.report(
                _place(reader, path),
                path,
                "lbtui runs plain containers on this overlay, which Docker allows only on an "
                "attachable one; set attachable: true",
            )


def _pools_share_the_lb_network(topology: Topology, reader: Reader) -> None:
    for vip in topology.vips.values():
        for index, member in enumerate(vip.servers):
            backend = topology.backends.get(member.backend)
            if backend is None or backend.network == vip.network:
                continue
            path = f"vips.{vip.name}.servers[{index}]"
            reader.report(
                _place(reader, path),
                path,
                f"backend '{backend.name}' is on network '{backend.network}' but the LB is on "
                f"'{vip.network}'; HAProxy could not reach it",
            )


def _engine_port(url: str) -> int | None:
    """The port a tcp:// or ssh:// engine URL listens on (ssh defaults to 22)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme == "ssh":
        return port or 22
    return port if parts.scheme == "tcp" else None


def _published_ports_unique(topology: Topology, reader: Reader) -> None:
    first: dict[tuple[str, int], str] = {}
    for host in topology.hosts.values():
        port = _engine_port(host.url)
        if port is not None:
            first[(host.name, port)] = f"its Docker engine (hosts.{host.name}.url)"
    for vip in _in_file_order(reader, topology.vips, "vips"):
        key = (topology.vips[vip].host, topology.vips[vip].publish)
        path = f"vips.{vip}.publish"
        if key in first:
            reader.report(
                _place(reader, path),
                path,
                f"host port {key[1]} on {key[0]} is already taken by {first[key]}",
            )
        else:
            first[key] = f"vips.{vip}"


def _container_names_unique(topology: Topology, reader: Reader) -> None:
    containers: list[tuple[tuple[int, int], str, str, str, str]] = []
    for backend in topology.backends.values():
        path = f"backends.{backend.name}"
        place = _place(reader, f"{path}#key")
        containers.append((place, path, backend.name, backend.host, backend.network))
    for vip in topology.vips.values():
        path = f"vips.{vip.name}"
        place = _place(reader, f"{path}.container", f"{path}#key")
        containers.append((place, f"{path}.container", vip.container, vip.host, vip.network))
    on_host: dict[tuple[str, str], str] = {}
    on_network: dict[tuple[str, str], str] = {}
    for place, path, name, host, network in sorted(containers):
        if (host, name) in on_host:
            reader.report(
                place,
                path,
                f"container name '{name}' is already used on {host} by {on_host[host, name]}",
            )
        elif (network, name) in on_network:
            # Containers on one network find each other by name: two of a name break DNS.
            reader.report(
                place,
                path,
                f"container name '{name}' is already used on network "
                f"'{network}' by {on_network[network, name]}",
            )
        on_host.setdefault((host, name), path)
        on_network.setdefault((network, name), path)


def _in_file_order(reader: Reader, items: Mapping[str, object], section: str) -> list[str]:
    return sorted(items, key=lambda name: _place(reader, f"{section}.{name}#key"))
