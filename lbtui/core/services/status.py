"""What `lbtui status` says about services: image, desired and running tasks, tasks per host."""

from __future__ import annotations

from dataclasses import dataclass

from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.services import NODE_HOST_LABEL, TaskSnapshot
from lbtui.core.errors import LbtuiError
from lbtui.core.topology.model import Service, Topology


@dataclass(frozen=True)
class TaskStatus:
    """One task that swarm wants running, where it runs and what it is now."""

    slot: int | None
    host: str
    state: str
    address: str
    error: str = ""


@dataclass(frozen=True)
class ServiceStatus:
    """One service of the topology as the swarm manager reports it."""

    name: str
    image: str
    desired: int
    running: int
    tasks: tuple[TaskStatus, ...]
    deployed: bool = True
    error: str = ""


def service_statuses(hosts: DockerGateway, topology: Topology) -> tuple[ServiceStatus, ...]:
    """Every service's status; a manager that cannot tell is reported, not raised."""
    if not topology.services or topology.swarm is None:
        return ()
    manager = topology.swarm.manager
    try:
        if not hosts.swarm_state(manager).is_manager:
            return tuple(
                _missing(s, f"{manager} is not a swarm manager yet") for s in _all(topology)
            )
        gateway = hosts.services(manager)
        node_hosts = {
            node.id: node.labels.get(NODE_HOST_LABEL, node.hostname) for node in gateway.nodes()
        }
        statuses = []
        for service in _all(topology):
            found = gateway.find_service(service.name)
            if found is None:
                statuses.append(_missing(service, "not deployed"))
                continue
            tasks = [t for t in gateway.tasks(service.name) if t.desired_state == "running"]
            statuses.append(
                ServiceStatus(
                    name=service.name,
                    image=found.image.split("@")[0],
                    desired=found.replicas or 0,
                    running=sum(1 for t in tasks if t.state == "running"),
                    tasks=tuple(_task(t, service, node_hosts) for t in _by_slot(tasks)),
                )
            )
        return tuple(statuses)
    except LbtuiError as error:
        # Status reports every problem in place: the manager's must not hide the rest.
        return tuple(_missing(s, str(error)) for s in _all(topology))


def _all(topology: Topology) -> list[Service]:
    return list(topology.services.values())


def _missing(service: Service, why: str) -> ServiceStatus:
    return ServiceStatus(service.name, service.image, service.replicas, 0, (), False, why)


def _by_slot(tasks: list[TaskSnapshot]) -> list[TaskSnapshot]:
    return sorted(tasks, key=lambda t: (t.slot or 0, t.id))


def _task(task: TaskSnapshot, service: Service, node_hosts: dict[str, str]) -> TaskStatus:
    return TaskStatus(
        slot=task.slot,
        host=node_hosts.get(task.node_id, task.node_id[:12] or "-"),
        state=task.state,
        address=task.addresses.get(service.network, ""),
        error=task.error,
    )
