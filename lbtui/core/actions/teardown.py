"""Teardown: remove exactly what this topology owns (services, containers, then networks).

A resource is the topology's when it carries both its name and its id label
(`Topology.owns`); one with the same name but another id belongs to another
file and is left alone, said so in the progress. `leave_swarm` leaves only the
nodes lbtui put in a swarm for this topology, as recorded in the swarm's own
node labels when it did so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial

from lbtui.core.actions.schedule import Job, default_parallel, run_jobs
from lbtui.core.actions.services import remove_services
from lbtui.core.actions.steps import Change, Verdict, carry_out
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.parse import SwarmState
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.topology.model import (
    LABEL_ROLE,
    LABEL_SWARM_MEMBER,
    LABEL_TOPOLOGY,
    LABEL_TOPOLOGY_ID,
    Topology,
)

#: A network can stay "in use" for a moment after its last container went away.
NETWORK_REMOVE_DEADLINE_S = 15.0


def teardown(
    hosts: DockerGateway,
    topology: Topology,
    report: Reporter = ignore_progress,
    leave_swarm: bool = False,
    parallel: int | None = None,
) -> list[Change]:
    """Remove the topology's labelled containers and networks; optionally leave the swarm.

    As jobs (see `schedule`), with `parallel` workers (default: one per host):

        services                       their tasks hold the overlay; swarm would restart
                                       their containers if these went first
        containers H        (H)        after the services
        networks H          (H)        after H's containers; hosts that manage no swarm
        networks, managers  (manager)  after everything above: a swarm network goes last
        leave H             (H)        workers, then (after them) managers
    """
    names = sorted(topology.hosts)
    hosts.require_reachable(names)
    managers = [host for host in names if _is_manager(hosts, host)]
    # Decide every host before any leaves: a worker's record is read from a manager.
    leaving = _leave_changes(hosts, topology, names) if leave_swarm else []
    jobs = [Job("services", "swarm services", _services_job(hosts, topology))]
    jobs += [
        Job(f"containers {host}", host, _containers_job(hosts, topology, host), _SERVICES)
        for host in names
    ]
    workers = [host for host in names if host not in managers]
    jobs += [
        Job(
            f"networks {host}",
            host,
            _networks_job(hosts, topology, [host], managers),
            frozenset({f"containers {host}"}),
        )
        for host in workers
    ]
    everything = frozenset(job.key for job in jobs)
    if managers:
        work = _networks_job(hosts, topology, managers, managers)
        jobs.append(Job("networks managers", managers[0], work, everything))
    done_networks = frozenset(job.key for job in jobs if job.key.startswith("networks"))
    left_workers = frozenset(f"leave {c.host}" for c in leaving if c.host not in managers)
    jobs += [
        Job(
            f"leave {change.host}",
            change.host,
            _leave_job(hosts, change),
            done_networks | (left_workers if change.host in managers else frozenset()),
        )
        for change in leaving
    ]
    return run_jobs(jobs, report, parallel or default_parallel(topology))


_SERVICES = frozenset({"services"})
JobWork = Callable[[Reporter], list[Change]]


def _services_job(hosts: DockerGateway, topology: Topology) -> JobWork:
    return lambda report: remove_services(hosts, topology, report)


def _containers_job(hosts: DockerGateway, topology: Topology, host: str) -> JobWork:
    def work(report: Reporter) -> list[Change]:
        done = []
        same_name = {LABEL_TOPOLOGY: topology.name}
        for container in hosts.list_containers(host, same_name):
            role = container.labels.get(LABEL_ROLE, "container")
            change = _scoped(topology, container.name, host, container.labels, role)
            done.append(carry_out(change, report, partial(_remove_container, hosts, change)))
        return done

    return work


def _networks_job(
    hosts: DockerGateway, topology: Topology, on: list[str], managers: list[str]
) -> JobWork:
    names = sorted(topology.hosts)

    def work(report: Reporter) -> list[Change]:
        done: list[Change] = []
        removed: set[str] = set()
        for host in on:
            for network in hosts.list_networks(host, {LABEL_TOPOLOGY: topology.name}):
                if network.id in removed or (network.scope == "swarm" and host not in managers):
                    continue
                removed.add(network.id)
                change = _scoped(topology, network.name, host, network.labels, "network")
                if not change.changes:
                    done.append(carry_out(change, report, lambda: None))
                    continue
                # A swarm network's copies on workers go away a moment after the manager's.
                copies = [h for h in names if h != host] if network.scope == "swarm" else []
                remove = partial(_remove_network, hosts, host, network.id, copies)
                done.append(carry_out(change, report, remove))
        return done

    return work


def _leave_job(hosts: DockerGateway, change: Change) -> JobWork:
    return lambda report: [carry_out(change, report, partial(_leave, hosts, change.host))]


def _scoped(
    topology: Topology, target: str, host: str, labels: Mapping[str, str], role: str
) -> Change:
    """REMOVE when the topology owns the resource, else KEEP saying whose it is."""
    if not topology.owns(labels):
        other = labels.get(LABEL_TOPOLOGY_ID, "?")
        reason = f"belongs to another file named {topology.name} (id {other}): left alone"
        return Change("teardown", target, host, Verdict.KEEP, reason)
    if LABEL_TOPOLOGY_ID not in labels:
        role += " (made before topology ids; taken as this topology's by its name)"
    return Change("teardown", target, host, Verdict.REMOVE, role)


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


def _leave_changes(hosts: DockerGateway, topology: Topology, names: list[str]) -> list[Change]:
    """Whether each host leaves, managers last."""
    states = {host: hosts.swarm_state(host) for host in names}
    return [_leave_change(hosts, topology, host, states) for host in _managers_last(hosts, names)]


def _leave_change(
    hosts: DockerGateway, topology: Topology, host: str, states: Mapping[str, SwarmState]
) -> Change:
    state = states[host]
    if state.state == "inactive":
        return Change("swarm", "leave", host, Verdict.KEEP, "not in a swarm")
    role = "manager" if state.is_manager else "worker"
    reader = _manager_for(host, state, states)
    if reader is None:
        reason = (
            f"{role} of a swarm none of whose managers is a host of this topology: lbtui "
            "cannot read whether it put this node there, so it is left alone"
        )
        return Change("swarm", "leave", host, Verdict.KEEP, reason)
    recorded = hosts.swarm_node_labels(reader, state.node_id).get(LABEL_SWARM_MEMBER)
    if recorded == topology.id:
        return Change("swarm", "leave", host, Verdict.LEAVE, f"{role}; lbtui put it in the swarm")
    if recorded is None:
        reason = f"{role} of a swarm lbtui did not initialise or join it to: left alone"
    else:
        reason = f"{role} put in the swarm for another topology (id {recorded}): left alone"
    return Change("swarm", "leave", host, Verdict.KEEP, reason)


def _manager_for(host: str, state: SwarmState, states: Mapping[str, SwarmState]) -> str | None:
    """A host of the topology that manages `host`'s swarm (itself when it is a manager)."""
    if state.is_manager:
        return host
    for other, other_state in states.items():
        if other_state.is_manager and other_state.node_id in state.remote_managers:
            return other
    return None


def _leave(hosts: DockerGateway, host: str) -> str:
    hosts.swarm_leave(host)
    return "left the swarm"
