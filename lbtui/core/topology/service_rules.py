"""Checks across fields that involve services: networks, pools and names that must not clash."""

from __future__ import annotations

from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX, slot_prefix, slot_service
from lbtui.core.topology.model import Topology
from lbtui.core.topology.yaml_nodes import Reader


def check_services(topology: Topology, reader: Reader) -> None:
    """Report services off an overlay, off their LB's network, or whose names clash."""
    _services_on_overlays(topology, reader)
    _pools_reach_their_services(topology, reader)
    _names_do_not_clash(topology, reader)


def _place(reader: Reader, *paths: str) -> tuple[int, int]:
    for path in paths:
        if path in reader.marks:
            return reader.marks[path]
    return (1, 1)


def _services_on_overlays(topology: Topology, reader: Reader) -> None:
    for service in topology.services.values():
        network = topology.networks.get(service.network)
        if network is None or network.driver == "overlay":
            continue
        path = f"services.{service.name}.network"
        reader.report(
            _place(reader, path),
            path,
            f"network '{network.name}' is a bridge, local to one host; a swarm service "
            "runs on an overlay network",
        )


def _pools_reach_their_services(topology: Topology, reader: Reader) -> None:
    for vip in topology.vips.values():
        for index, member in enumerate(vip.servers):
            service = topology.services.get(member.backend)
            if service is None or service.network == vip.network:
                continue
            path = f"vips.{vip.name}.servers[{index}]"
            reader.report(
                _place(reader, path),
                path,
                f"service '{service.name}' is on network '{service.network}' but the LB is on "
                f"'{vip.network}'; HAProxy could not reach its tasks",
            )


def _names_do_not_clash(topology: Topology, reader: Reader) -> None:
    """Services share the pool's namespace with backends, and DNS with every container."""
    others: list[tuple[str, str]] = [(name, f"backends.{name}") for name in topology.backends]
    others += [(vip.container, f"vips.{vip.name}") for vip in topology.vips.values()]
    for service in topology.services.values():
        path = f"services.{service.name}"
        for name, where in others:
            if name == service.name:
                reader.report(
                    _place(reader, f"{path}#key"),
                    path,
                    f"name '{name}' is already used by {where}; a service's name is also its "
                    "DNS name and its name in VIP pools",
                )
    everything = others + [(name, f"services.{name}") for name in topology.services]
    for name, where in everything:
        owner = slot_service(name)
        if owner is not None and owner in topology.services:
            reader.report(
                _place(reader, f"{where}#key", f"{where}.container"),
                where,
                f"name '{name}' would clash with HAProxy's names for the slots of service "
                f"'{owner}' ({slot_prefix(owner)}1..{slot_prefix(owner)}{SERVICE_REPLICAS_MAX})",
            )
