"""An in-memory stand-in for `DockerHosts`, for unit tests of the actions' decisions.

It only models what the actions read back (names, labels, states, attachments, files);
that Docker really behaves so is proven by the integration tests on the lab.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.parse import SwarmState
from lbtui.core.docker.snapshots import (
    Attachment,
    ContainerSnapshot,
    HostSnapshot,
    NetworkSnapshot,
    PublishedPort,
)
from lbtui.core.errors import ActionFailed, HostUnreachable
from lbtui.core.topology.model import Host, Network, Topology

INACTIVE = SwarmState("inactive", "", "", False, "", ())


@dataclass
class FakeHost:
    """One fake engine's state."""

    swarm: SwarmState = INACTIVE
    containers: dict[str, ContainerSnapshot] = field(default_factory=dict)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    networks: dict[str, NetworkSnapshot] = field(default_factory=dict)


class NoServices:
    """The fake's swarm has no services: service actions are proven on the lab, not here."""

    def list_services(self, labels: Mapping[str, str]) -> list[object]:
        return []


class FakeDockerHosts:
    """Implements the actions' DockerGateway over in-memory hosts; records every change."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.engines = {name: FakeHost() for name in topology.hosts}
        self.unreachable: set[str] = set()
        self.changes: list[tuple[str, ...]] = []
        self.check_exit_code = 0
        self.check_output = "Configuration file is valid\n"
        self._ids = 0
        self._id_lock = threading.Lock()
        self.requests: dict[str, ContainerRequest] = {}
        self.taken_ports: dict[str, set[int]] = {}
        """Host ports another process holds, per host: a container publishing one cannot start."""
        self.dies_on_start: set[str] = set()
        """Names or images of containers whose process exits right after a start (a bad config)."""
        self.start_errors: dict[str, str] = {}
        """Container name -> what the engine answers to the next start of it (once)."""
        self.node_labels: dict[str, dict[str, str]] = {}
        """Swarm node labels by node id (the fake keeps one swarm)."""

    # -- helpers for tests ---------------------------------------------------------------------

    def add_container(
        self,
        host: str,
        name: str,
        image: str = "x",
        state: str = "running",
        labels: Mapping[str, str] | None = None,
        networks: Iterable[str] = (),
    ) -> ContainerSnapshot:
        """Put a container on a host as if someone (or an earlier apply) had made it."""
        container = ContainerSnapshot(
            host=host,
            id=f"id{self._next_id():04d}",
            name=name,
            image=image,
            state=state,
            status=state,
            health=None,
            attachments=tuple(Attachment(n, "10.0.0.1") for n in networks),
            ports=(),
            labels=dict(labels or {}),
        )
        self.engines[host].containers[name] = container
        return container

    def set_state(self, host: str, name: str, state: str) -> None:
        """Change a container's state (e.g. it exited)."""
        engine = self.engines[host]
        engine.containers[name] = dataclasses.replace(engine.containers[name], state=state)

    def _next_id(self) -> int:
        # apply runs jobs on several threads: ids must stay unique.
        with self._id_lock:
            self._ids += 1
            return self._ids

    def _record(self, *call: str) -> None:
        self.changes.append(call)

    def _container(self, host: str, ref: str) -> ContainerSnapshot:
        for container in self.engines[host].containers.values():
            if ref in (container.name, container.id):
                return container
        raise ActionFailed(f"no container {ref} on {host}")

    def _check_reachable(self, name: str) -> None:
        if name in self.unreachable:
            host = self.topology.hosts[name]
            raise HostUnreachable(name, host.url, "fake: down")

    # -- DockerGateway -------------------------------------------------------------------------

    def host(self, name: str) -> Host:
        return self.topology.hosts[name]

    def require_reachable(self, names: Iterable[str]) -> None:
        for name in sorted(set(names)):
            self._check_reachable(name)

    def snapshot_host(self, name: str) -> HostSnapshot:
        engine = self.engines[name]
        return HostSnapshot(
            name=name,
            url=self.topology.hosts[name].url,
            reachable=name not in self.unreachable,
            polled_at=time.time(),
            engine_version="fake",
            swarm_state=engine.swarm.state,
            containers=tuple(engine.containers.values()),
            networks=tuple(engine.networks.values()),
        )

    def services(self, manager: str) -> NoServices:
        return NoServices()

    def swarm_state(self, name: str) -> SwarmState:
        self._check_reachable(name)
        return self.engines[name].swarm

    def swarm_init(self, name: str, address: str) -> None:
        self._record("swarm_init", name, address)
        self.engines[name].swarm = SwarmState(
            "active", f"node-{name}", "cluster-1", True, address, (f"node-{name}",)
        )

    def swarm_worker_token(self, name: str) -> str:
        return "token-worker"

    def swarm_join(self, name: str, manager_address: str, token: str, address: str) -> None:
        self._record("swarm_join", name, manager_address, token)
        manager = next(
            h for h, spec in self.topology.hosts.items() if spec.address == manager_address
        )
        self.engines[name].swarm = SwarmState(
            "active", f"node-{name}", "", False, address, (f"node-{manager}",)
        )

    def swarm_leave(self, name: str) -> None:
        self._record("swarm_leave", name)
        self.engines[name].swarm = INACTIVE

    def swarm_node_labels(self, name: str, node_id: str) -> dict[str, str]:
        assert self.engines[name].swarm.is_manager, f"{name} is not a manager"
        return dict(self.node_labels.get(node_id, {}))

    def label_swarm_node(self, name: str, node_id: str, labels: Mapping[str, str]) -> None:
        assert self.engines[name].swarm.is_manager, f"{name} is not a manager"
        self._record("label_swarm_node", name, node_id)
        self.node_labels.setdefault(node_id, {}).update(labels)

    def find_container(self, name: str, container: str) -> ContainerSnapshot | None:
        self._check_reachable(name)
        return self.engines[name].containers.get(container)

    def list_containers(self, name: str, labels: Mapping[str, str]) -> list[ContainerSnapshot]:
        return [
            c
            for c in self.engines[name].containers.values()
            if all(c.labels.get(k) == v for k, v in labels.items())
        ]

    def find_network(self, name: str, network: str) -> NetworkSnapshot | None:
        found = self.engines[name].networks.get(network)
        if found is None:
            return None
        members = tuple(
            Attachment(c.name, None)
            for c in self.engines[name].containers.values()
            if any(a.network == network for a in c.attachments)
        )
        return dataclasses.replace(found, members=members)

    def list_networks(self, name: str, labels: Mapping[str, str]) -> list[NetworkSnapshot]:
        return [
            n
            for n in self.engines[name].networks.values()
            if all(n.labels.get(k) == v for k, v in labels.items())
        ]

    def read_file(self, name: str, container: str, path: str) -> bytes | None:
        return self.engines[name].files.get((self._container(name, container).name, path))

    def logs(self, name: str, container: str, tail: int = 50) -> str:
        return self.check_output

    def create_network(self, name: str, network: Network, labels: Mapping[str, str]) -> str:
        self._record("create_network", name, network.name)
        network_id = f"net{self._next_id():04d}"
        self.engines[name].networks[network.name] = NetworkSnapshot(
            host=name,
            id=network_id,
            name=network.name,
            driver=network.driver,
            scope="swarm" if network.driver == "overlay" else "local",
            internal=network.internal,
            attachable=network.attachable,
            subnets=(network.subnet,) if network.subnet else (),
            members=(),
            labels=dict(labels),
        )
        return network_id

    def remove_network(self, name: str, network: str) -> None:
        self._record("remove_network", name, network)
        engine = self.engines[name]
        engine.networks = {k: v for k, v in engine.networks.items() if network not in (k, v.id)}

    def create_container(self, name: str, request: ContainerRequest) -> str:
        self._record("create_container", name, request.name)
        self.requests[request.name] = request
        ports = tuple(
            PublishedPort(int(p.split("/")[0]), "tcp", "0.0.0.0", hp)
            for p, hp in request.ports.items()
        )
        created = self.add_container(
            name, request.name, request.image, "created", request.labels, [request.network]
        )
        self.engines[name].containers[request.name] = dataclasses.replace(created, ports=ports)
        return created.id

    def start_container(self, name: str, container: str) -> None:
        found = self._container(name, container)
        self._record("start_container", name, found.name)
        refusal = self.start_errors.pop(found.name, None)
        if refusal is not None:
            raise ActionFailed(f"could not start container {found.name} on {name}: {refusal}")
        # Docker's two refusals, with its own wording, for a published port already in use.
        for port in found.ports:
            if port.host_port in self.taken_ports.get(name, set()):
                raise ActionFailed(
                    f"could not start container {found.name} on {name}: driver failed "
                    f"programming external connectivity: Error starting userland proxy: listen "
                    f"tcp4 0.0.0.0:{port.host_port}: bind: address already in use"
                )
            for other in self.engines[name].containers.values():
                if other.running and other.name != found.name and port in other.ports:
                    raise ActionFailed(
                        f"could not start container {found.name} on {name}: Bind for "
                        f"0.0.0.0:{port.host_port} failed: port is already allocated"
                    )
        self.set_state(
            name,
            found.name,
            "exited" if {found.name, found.image} & self.dies_on_start else "running",
        )

    def stop_container(self, name: str, container: str, timeout_s: float) -> None:
        found = self._container(name, container)
        self._record("stop_container", name, found.name)
        self.set_state(name, found.name, "exited")

    def rename_container(self, name: str, container: str, new_name: str) -> None:
        found = self._container(name, container)
        self._record("rename_container", name, found.name, new_name)
        engine = self.engines[name]
        if new_name in engine.containers:
            raise ActionFailed(f"could not rename {found.name} on {name}: {new_name} is in use")
        del engine.containers[found.name]
        engine.containers[new_name] = dataclasses.replace(found, name=new_name)
        engine.files = {
            (new_name if owner == found.name else owner, path): data
            for (owner, path), data in engine.files.items()
        }

    def remove_container(self, name: str, container: str) -> None:
        found = self._container(name, container)
        self._record("remove_container", name, found.name)
        del self.engines[name].containers[found.name]

    def put_files(self, name: str, container: str, files: Mapping[str, bytes]) -> None:
        found = self._container(name, container)
        self._record("put_files", name, found.name, *sorted(files))
        for path, data in files.items():
            self.engines[name].files[(found.name, path)] = data

    def signal_container(self, name: str, container: str, signal: str) -> None:
        self._record("signal_container", name, container, signal)

    def connect_network(self, name: str, network: str, container: str) -> None:
        self._record("connect_network", name, network, container)
        found = self._container(name, container)
        attachments = (*found.attachments, Attachment(network, "172.17.0.2"))
        self.engines[name].containers[found.name] = dataclasses.replace(
            found, attachments=attachments
        )

    def wait_container(self, name: str, container: str, timeout_s: float) -> int:
        self.set_state(name, self._container(name, container).name, "exited")
        return self.check_exit_code
