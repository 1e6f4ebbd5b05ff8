"""Which hosts each step touches, derived from the topology alone."""

from __future__ import annotations

from collections.abc import Callable

from lbtui.core.actions.steps import Step
from lbtui.core.errors import BadInput
from lbtui.core.topology.model import Network, Topology


def users_of(topology: Topology, network: str) -> list[str]:
    """Hosts with a backend or an LB on the network, in topology order."""
    hosts = [b.host for b in topology.backends.values() if b.network == network]
    hosts += [v.host for v in topology.vips.values() if v.network == network]
    return list(dict.fromkeys(hosts))


def overlay_networks(topology: Topology) -> list[Network]:
    """The topology's overlay networks."""
    return [n for n in topology.networks.values() if n.driver == "overlay"]


def swarm_manager(topology: Topology) -> str:
    """The manager's host name; the topology must name one when it has an overlay."""
    if topology.swarm is None:
        raise BadInput(f"topology {topology.name} has an overlay network but no `swarm.manager`")
    return topology.swarm.manager


def swarm_members(topology: Topology) -> list[str]:
    """The manager first, then every host that runs something on an overlay network."""
    overlays = overlay_networks(topology)
    if not overlays:
        return []
    members = [swarm_manager(topology)]
    for network in overlays:
        members += users_of(topology, network.name)
    return list(dict.fromkeys(members))


def network_homes(topology: Topology, network: Network) -> list[str]:
    """Where a network is created: the manager for an overlay, each user's host for a bridge."""
    if network.driver == "overlay":
        return [swarm_manager(topology)]
    return users_of(topology, network.name)


def _overlay_hosts(topology: Topology) -> set[str]:
    hosts = set(swarm_members(topology))
    for network in topology.networks.values():
        hosts.update(network_homes(topology, network))
    return hosts


def _lb_hosts(topology: Topology) -> set[str]:
    hosts = {v.host for v in topology.vips.values()}
    for vip in topology.vips.values():
        hosts.update(topology.backends[m.backend].host for m in vip.servers)
    return hosts


_STEP_HOSTS: dict[Step, Callable[[Topology], set[str]]] = {
    Step.OVERLAY: _overlay_hosts,
    Step.BACKENDS: lambda topology: {b.host for b in topology.backends.values()},
    Step.LB: _lb_hosts,
    Step.BRIDGE: lambda topology: {v.host for v in topology.vips.values() if v.connect_bridge},
}


def hosts_for(topology: Topology, *steps: Step | str) -> set[str]:
    """Every host the steps need to reach; every step of apply when none is named."""
    chosen = [Step.parse(step) for step in steps] if steps else list(Step)
    return set().union(*(_STEP_HOSTS[step](topology) for step in chosen))
