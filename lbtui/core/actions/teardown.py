"""Teardown: remove exactly what carries this topology's label (services, containers, networks)."""

from __future__ import annotations

import time
from functools import partial

from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.services import remove_services
from lbtui.core.actions.steps import Change, Verdict, carry_out
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.topology.model import LABEL_ROLE, LABEL_TOPOLOGY, Topology

#: A network can stay "in use" for a moment after its last container went away.
NETWORK_REMOVE_DEADLINE_S = 15.0


def teardown(
    hosts: DockerGateway,
    topology: Topology,
    report: Reporter = ignore_progress,
    leave_swarm: bool = False,
) -> list[Change]:
    """Remove the topology's labelled containers and networks; optionally leave the swarm."""
    names = sorted(hosts_for(topology, "teardown"))
    hosts.require_reachable(names)
    ours = {LABEL_TOPOLOGY: topology.name}
    # Services first: their tasks hold the overlay, and swarm would restart a removed one.
    done: list[Change] = remove_services(hosts, topology, report)
    for host in names:
        for container in hosts.list_containers(host, ours):
            role = container.labels.get(LABEL_ROLE, "container")
            change = Change("teardown", container.name, host, Verdict.REMOVE, role)
            done.append(carry_out(change, report, partial(_remove_container, hosts, change)))
    removed: set[str] = set()
    for host in _managers_last(hosts, names):
        for network in hosts.list_networks(host, ours):
            if network.id in removed or (network.scope == "swarm" and not _is_manager(hosts, host)):
                continue
            removed.add(network.id)
            change = Change("teardown", network.name, host, Verdict.REMOVE, "network")
            # A swarm network's copies on workers go away a moment after the manager's.
            copies = [h for h in names if h != host] if network.scope == "swarm" else []
            remove = partial(_remove_network, hosts, host, network.id, copies)
            done.append(carry_out(change, report, remove))
    if leave_swarm:
        done += _leave_swarm(hosts, names, report)
    return done


def _is_manager(hosts: DockerGateway, host: str) -> bool:
    return hosts.swarm_state(host).is_manager


def _managers_last(hosts: DockerGateway, names: list[str]) -> list[str]:
    return sorted(names, key=lambda host: _is_manager(hosts, host))


def _remove_container(hosts: DockerGateway, change: Change) -> str:
    hosts.remove_container(change.host, change.target)
    return "removed"


def _remove_network(hosts: DockerGateway, host: str, network_id: str, copies: list[str]) -> str:
    deadline = time.monotonic() + NETWORK_REMOVE_DEADLINE_S
    while True:
        try:
            hosts.remove_network(host, network_id)
            break
        except ActionFailed as error:
            if "active endpoints" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(0.2)
    for other in copies:
        while any(n.id == network_id for n in hosts.list_networks(other, {})):
            if time.monotonic() >= deadline:
                raise ActionFailed(
                    f"network {network_id[:12]} was removed on {host} but {other} still lists it "
                    f"after {NETWORK_REMOVE_DEADLINE_S:.0f} s"
                )
            time.sleep(0.2)
    return "removed"


def _leave_swarm(hosts: DockerGateway, names: list[str], report: Reporter) -> list[Change]:
    done = []
    for host in _managers_last(hosts, names):
        state = hosts.swarm_state(host)
        verdict = Verdict.LEAVE if state.state != "inactive" else Verdict.KEEP
        reason = ("manager" if state.is_manager else "worker") if state.active else "not in a swarm"
        change = Change("swarm", "leave", host, verdict, reason)
        done.append(carry_out(change, report, partial(_leave, hosts, host)))
    return done


def _leave(hosts: DockerGateway, host: str) -> str:
    hosts.swarm_leave(host)
    return "left the swarm"
