"""What the actions need from the Docker hosts; `DockerHosts` is the real one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.parse import SwarmState
from lbtui.core.docker.services import ServiceGateway
from lbtui.core.docker.snapshots import ContainerSnapshot, HostSnapshot, NetworkSnapshot
from lbtui.core.topology.model import Host, Network


class DockerGateway(Protocol):
    """The blocking operations actions perform on hosts, by host name."""

    def host(self, name: str) -> Host:
        """The topology's host of that name."""
        ...

    def require_reachable(self, names: Iterable[str]) -> None:
        """Raise HostUnreachable unless every named host answers."""
        ...

    def snapshot_host(self, name: str) -> HostSnapshot:
        """The host's state now."""
        ...

    def services(self, manager: str) -> ServiceGateway:
        """The swarm services of the swarm whose manager is host `manager`."""
        ...

    def swarm_state(self, name: str) -> SwarmState:
        """The host's swarm membership."""
        ...

    def swarm_init(self, name: str, address: str) -> None:
        """Make the host a swarm manager."""
        ...

    def swarm_worker_token(self, name: str) -> str:
        """The workers' join token, from a manager."""
        ...

    def swarm_join(self, name: str, manager_address: str, token: str, address: str) -> None:
        """Join a swarm as a worker."""
        ...

    def swarm_leave(self, name: str) -> None:
        """Leave the swarm."""
        ...

    def swarm_node_labels(self, name: str, node_id: str) -> dict[str, str]:
        """A swarm node's labels, read from manager `name`."""
        ...

    def label_swarm_node(self, name: str, node_id: str, labels: Mapping[str, str]) -> None:
        """Add labels to a swarm node, through manager `name`."""
        ...

    def find_container(self, name: str, container: str) -> ContainerSnapshot | None:
        """The container of exactly that name, if any."""
        ...

    def list_containers(self, name: str, labels: Mapping[str, str]) -> list[ContainerSnapshot]:
        """Containers carrying all the labels."""
        ...

    def find_network(self, name: str, network: str) -> NetworkSnapshot | None:
        """The network of exactly that name, if any."""
        ...

    def list_networks(self, name: str, labels: Mapping[str, str]) -> list[NetworkSnapshot]:
        """Networks carrying all the labels."""
        ...

    def read_file(self, name: str, container: str, path: str) -> bytes | None:
        """A file from inside a container."""
        ...

    def logs(self, name: str, container: str, tail: int = 50) -> str:
        """A container's last output lines."""
        ...

    def create_network(self, name: str, network: Network, labels: Mapping[str, str]) -> str:
        """Create a network; its ID."""
        ...

    def remove_network(self, name: str, network: str) -> None:
        """Remove a network."""
        ...

    def create_container(self, name: str, request: ContainerRequest) -> str:
        """Create a container (not started); its ID."""
        ...

    def start_container(self, name: str, container: str) -> None:
        """Start a container."""
        ...

    def remove_container(self, name: str, container: str) -> None:
        """Remove a container, running or not."""
        ...

    def stop_container(self, name: str, container: str, timeout_s: float) -> None:
        """Stop a container: its stop signal, then SIGKILL after `timeout_s`."""
        ...

    def rename_container(self, name: str, container: str, new_name: str) -> None:
        """Give a container another name."""
        ...

    def put_files(self, name: str, container: str, files: Mapping[str, bytes]) -> None:
        """Copy files into a container."""
        ...

    def signal_container(self, name: str, container: str, signal: str) -> None:
        """Signal a container's main process."""
        ...

    def connect_network(self, name: str, network: str, container: str) -> None:
        """Attach a container to a network."""
        ...

    def wait_container(self, name: str, container: str, timeout_s: float) -> int:
        """Wait for a container to exit; its exit code."""
        ...
