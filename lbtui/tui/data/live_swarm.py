"""The real swarm services: the core's service status and its draining scale, on the manager."""

from __future__ import annotations

from collections.abc import Callable

from lbtui.core.actions.scope import swarm_manager
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.progress import Reporter
from lbtui.core.services.scale import scale_service
from lbtui.core.services.status import ServiceStatus, service_statuses
from lbtui.core.topology.model import Topology


class LiveSwarm:
    """The topology's services on its swarm manager, read and scaled as the CLI does."""

    def __init__(self, topology: Callable[[], Topology], hosts: DockerHosts) -> None:
        self._topology = topology
        self._hosts = hosts

    def statuses(self) -> tuple[ServiceStatus, ...]:
        """Every service's image, desired and running tasks, and tasks per host."""
        return service_statuses(self._hosts, self._topology())

    def scale(self, service: str, replicas: int, reporter: Reporter) -> str:
        """Scale through the core (leaving tasks drained in every VIP first); what it did."""
        topology = self._topology()
        manager = swarm_manager(topology)
        result = scale_service(
            self._hosts, self._hosts.services(manager), topology, service, replicas, reporter
        )
        return "\n".join([result.describe(), *(f"note: {note}" for note in result.notes)])
