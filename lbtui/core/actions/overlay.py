"""Create overlay: swarm mode on the hosts that need it, then the topology's networks."""

from __future__ import annotations

import time
from functools import partial

from lbtui.core.actions.nodes import label_nodes
from lbtui.core.actions.scope import hosts_for, network_homes, swarm_manager, swarm_members
from lbtui.core.actions.steps import Change, Step, Verdict, carry_out
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.parse import SwarmState
from lbtui.core.docker.snapshots import NetworkSnapshot
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.topology.model import LABEL_SWARM_MEMBER, Network, Topology

#: How long a freshly joined node may take to appear in its manager's node list.
MEMBERSHIP_RECORD_DEADLINE_S = 15.0


def _address(hosts: DockerGateway, name: str) -> str:
    address = hosts.host(name).address
    if not address:
        raise BadInput(f"host {name} needs an `address` to take part in a swarm")
    return address


def plan_swarm(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """Init on the manager, join the others; a host in another swarm is an error."""
    members = swarm_members(topology)
    if not members:
        return []
    manager = swarm_manager(topology)
    state = hosts.swarm_state(manager)
    changes = [_manager_change(manager, state)]
    for member in members[1:]:
        changes.append(_worker_change(hosts, member, manager, state))
    return changes


def _manager_change(manager: str, state: SwarmState) -> Change:
    if state.state == "inactive":
        return Change("swarm", "manager", manager, Verdict.INIT, "not in a swarm yet")
    if state.active and state.is_manager:
        return Change("swarm", "manager", manager, Verdict.KEEP, f"manager of {state.cluster_id}")
    if state.active:
        raise ActionFailed(
            f"host {manager} should be the swarm manager but is a worker in another swarm; "
            "make it leave (`docker swarm leave`) or pick another manager"
        )
    raise ActionFailed(f"host {manager}: swarm state is {state.state!r}; fix the swarm by hand")


def _worker_change(
    hosts: DockerGateway, member: str, manager: str, manager_state: SwarmState
) -> Change:
    state = hosts.swarm_state(member)
    if state.state == "inactive":
        return Change("swarm", "worker", member, Verdict.JOIN, f"joins the swarm of {manager}")
    same_cluster = manager_state.active and (
        manager_state.node_id in state.remote_managers
        or (state.is_manager and state.cluster_id == manager_state.cluster_id)
    )
    if state.active and same_cluster:
        return Change("swarm", "worker", member, Verdict.KEEP, f"already in the swarm of {manager}")
    if state.active:
        raise ActionFailed(
            f"host {member} is already in another swarm (not the one of {manager}); make it "
            "leave (`docker swarm leave`, or `lbtui teardown --leave-swarm` on its topology)"
        )
    raise ActionFailed(f"host {member}: swarm state is {state.state!r}; fix the swarm by hand")


def _differences(network: Network, found: NetworkSnapshot) -> list[str]:
    differences = []
    if found.driver != network.driver:
        differences.append(f"driver {found.driver} -> {network.driver}")
    if found.internal != network.internal:
        differences.append(f"internal {found.internal} -> {network.internal}")
    if found.attachable != network.attachable and network.driver == "overlay":
        differences.append(f"attachable {found.attachable} -> {network.attachable}")
    if network.subnet and network.subnet not in found.subnets:
        differences.append(f"subnet {', '.join(found.subnets) or '(none)'} -> {network.subnet}")
    return differences


def plan_networks(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """Each network on its home host(s): create, keep, or replace when nothing is attached."""
    changes = []
    for network in topology.networks.values():
        for home in network_homes(topology, network):
            changes.append(_network_change(hosts, topology, network, home))
    return changes


def _network_change(
    hosts: DockerGateway, topology: Topology, network: Network, home: str
) -> Change:
    found = hosts.find_network(home, network.name)
    if found is None:
        return Change("network", network.name, home, Verdict.CREATE, "missing")
    differences = _differences(network, found)
    if not differences:
        return Change("network", network.name, home, Verdict.KEEP, "exists as specified")
    what = "; ".join(differences)
    attached = _attached(hosts, topology, network)
    if not topology.owns(found.labels):
        raise ActionFailed(
            f"network {network.name} on {home} was not created by lbtui for {topology.name} "
            f"and differs from the topology ({what}); remove or rename it"
        )
    if attached:
        raise ActionFailed(
            f"network {network.name} on {home} differs from the topology ({what}) and "
            f"containers are attached ({', '.join(attached)}); run teardown first"
        )
    return Change("network", network.name, home, Verdict.REPLACE, what)


def _attached(hosts: DockerGateway, topology: Topology, network: Network) -> list[str]:
    names: list[str] = []
    for host in sorted(hosts_for(topology, Step.OVERLAY)):
        found = hosts.find_network(host, network.name)
        if found is not None:
            names += [f"{member.network} on {host}" for member in found.members]
    return names


def create_overlay(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Ensure swarm mode where needed, then every network of the topology."""
    hosts.require_reachable(hosts_for(topology, Step.OVERLAY))
    done = ensure_manager(hosts, topology, report)
    for member in swarm_members(topology)[1:]:
        done += ensure_member(hosts, topology, member, report)
    return done + ensure_networks(hosts, topology, report)


def ensure_manager(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Init the swarm on the manager (or keep it); every member is checked before any change."""
    # Planning every member first: a host in another swarm stops apply before the init.
    changes = plan_swarm(hosts, topology)[:1]
    return [carry_out(c, report, partial(_swarm, hosts, topology, c)) for c in changes]


def ensure_member(
    hosts: DockerGateway, topology: Topology, member: str, report: Reporter = ignore_progress
) -> list[Change]:
    """Join one worker to the manager's swarm (or keep it); the manager is in it already."""
    manager = swarm_manager(topology)
    change = _worker_change(hosts, member, manager, hosts.swarm_state(manager))
    return [carry_out(change, report, partial(_swarm, hosts, topology, change))]


def ensure_networks(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Every network of the topology, then the swarm nodes' host labels; after the joins."""
    done = []
    for change in plan_networks(hosts, topology):
        network = topology.networks[change.target]
        done.append(carry_out(change, report, partial(_network, hosts, topology, change, network)))
    # Services are placed by these labels (lab hosts share a hostname).
    return done + label_nodes(hosts, topology, report)


def _swarm(hosts: DockerGateway, topology: Topology, change: Change) -> str:
    address = _address(hosts, change.host)
    manager = swarm_manager(topology)
    if change.verdict is Verdict.INIT:
        hosts.swarm_init(change.host, address)
        _record_membership(hosts, topology, manager, change.host)
        return f"swarm manager advertising {address}"
    token = hosts.swarm_worker_token(manager)
    hosts.swarm_join(change.host, _address(hosts, manager), token, address)
    _record_membership(hosts, topology, manager, change.host)
    return f"joined as a worker advertising {address}"


def _record_membership(hosts: DockerGateway, topology: Topology, manager: str, host: str) -> None:
    """Label the node lbtui just put in the swarm, in the swarm itself (read by teardown)."""
    node_id = hosts.swarm_state(host).node_id
    deadline = time.monotonic() + MEMBERSHIP_RECORD_DEADLINE_S
    while True:
        try:
            hosts.label_swarm_node(manager, node_id, {LABEL_SWARM_MEMBER: topology.id})
            return
        except ActionFailed:
            # A node that has just joined can take a moment to show in the manager's list.
            if time.monotonic() >= deadline:
                raise
        time.sleep(0.5)


def _network(hosts: DockerGateway, topology: Topology, change: Change, network: Network) -> str:
    if change.verdict is Verdict.REPLACE:
        hosts.remove_network(change.host, network.name)
    hosts.create_network(change.host, network, topology.labels("network"))
    flags = [network.driver, *(["internal"] if network.internal else [])]
    if network.driver == "overlay" and network.attachable:
        flags.append("attachable")
    return ", ".join(flags)
