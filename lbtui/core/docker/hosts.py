"""The gateway to a topology's Docker hosts: one lazy client per host, reachability, state, changes.

Every call blocks (the UI calls it from threads). Docker's own errors become lbtui's
through `core.docker.errors`: a host that does not answer -> HostUnreachable, with the
reason in words; a host that says no -> ActionFailed. Nothing outside `core.docker`
touches the docker SDK.
"""

from __future__ import annotations

import io
import tarfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import docker.types
import requests.exceptions

from lbtui.core.docker.archive import READABLE_MODE, file_archive
from lbtui.core.docker.connect import HostLink, connection_for
from lbtui.core.docker.containers import ContainerRequest, create_container
from lbtui.core.docker.errors import is_timeout, translated, unreachable
from lbtui.core.docker.parse import (
    SwarmState,
    container_from_list,
    network_from_list,
    swarm_from_info,
)
from lbtui.core.docker.services import ServiceGateway
from lbtui.core.docker.snapshots import ContainerSnapshot, HostSnapshot, NetworkSnapshot
from lbtui.core.errors import ActionFailed, BadInput, HostUnreachable
from lbtui.core.topology.model import Host, Network, Topology

SWARM_PORT = 2377
#: Tries of `swarm leave` that ended in the engine's "context deadline exceeded", and the pause.
SWARM_LEAVE_ATTEMPTS = 3
SWARM_LEAVE_PAUSE_S = 2.0


@dataclass(frozen=True)
class HostEvent:
    """One Docker event from one host."""

    host: str
    type: str
    action: str
    actor_id: str
    attributes: Mapping[str, str]
    time: float


class EventStream:
    """A host's live events; iterate it in a thread, `close()` it from another."""

    def __init__(self, host: str, stream: Any) -> None:
        self.host = host
        self._stream = stream

    def __iter__(self) -> Iterator[HostEvent]:
        for raw in self._stream:
            actor = raw.get("Actor") or {}
            yield HostEvent(
                host=self.host,
                type=str(raw.get("Type", "")),
                action=str(raw.get("Action", raw.get("status", ""))),
                actor_id=str(actor.get("ID", raw.get("id", ""))),
                attributes=dict(actor.get("Attributes") or {}),
                time=float(raw.get("timeNano", 0)) / 1e9 or float(raw.get("time", 0)),
            )

    def close(self) -> None:
        """Stop the stream; the iterating thread ends."""
        self._stream.close()


class DockerHosts:
    """One client per host of a topology, created on first use."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._connections = {name: connection_for(host) for name, host in topology.hosts.items()}
        self._links: dict[str, HostLink] = {}
        self._lock = threading.Lock()

    @property
    def warnings(self) -> list[str]:
        """Things the user must hear on every run (e.g. a host reached without TLS)."""
        return [c.warning for c in self._connections.values() if c.warning]

    def host(self, name: str) -> Host:
        """The topology's host of that name."""
        try:
            return self.topology.hosts[name]
        except KeyError:
            raise BadInput(f"unknown host {name!r}") from None

    def _link(self, name: str) -> HostLink:
        with self._lock:
            link = self._links.get(name)
            if link is None:
                host = self.host(name)
                try:
                    link = HostLink(self._connections[name])
                except docker.errors.DockerException as error:
                    raise unreachable(host, error) from error
                self._links[name] = link
            return link

    def client(self, name: str) -> docker.DockerClient:
        """The SDK client of a host (for `lbtui.core` modules that need raw access)."""
        return self._link(name).client()

    def services(self, manager: str) -> ServiceGateway:
        """The swarm services of the swarm whose manager is host `manager`."""
        return ServiceGateway(self.host(manager), lambda: self.client(manager))

    def close(self) -> None:
        """Close every client."""
        with self._lock:
            for link in self._links.values():
                link.close()
            self._links.clear()

    def __enter__(self) -> DockerHosts:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- reachability --------------------------------------------------------------------------

    def require_reachable(self, names: Iterable[str]) -> None:
        """Ping the hosts in parallel; raise HostUnreachable for the first (by name) that fails."""
        wanted = sorted(set(names))
        if not wanted:
            return
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            failures = list(pool.map(self._try_client, wanted))
        for failure in failures:
            if failure is not None:
                raise failure

    def _try_client(self, name: str) -> HostUnreachable | None:
        try:
            self._link(name).check()
        except HostUnreachable as error:
            return error
        return None

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot_host(self, name: str) -> HostSnapshot:
        """The host's state now; an unreachable host gives `reachable=False` and the reason."""
        host = self.host(name)
        now = time.time()
        try:
            with self._calls(name, "read the state"):
                api = self.client(name).api
                info = api.info()
                raw_containers = api.containers(all=True)
                raw_networks = api.networks()
        except HostUnreachable as error:
            return HostSnapshot(name, host.url, reachable=False, polled_at=now, error=error.reason)
        except ActionFailed as error:
            # The daemon answered but refused to describe itself: as good as unreachable here.
            return HostSnapshot(name, host.url, reachable=False, polled_at=now, error=str(error))
        swarm = swarm_from_info(info)
        containers = tuple(container_from_list(name, item) for item in raw_containers)
        networks = tuple(network_from_list(name, item, containers) for item in raw_networks)
        return HostSnapshot(
            name=name,
            url=host.url,
            reachable=True,
            polled_at=now,
            engine_version=str(info.get("ServerVersion", "")),
            engine_id=str(info.get("ID", "")),
            swarm_state=swarm.state,
            swarm_role=("manager" if swarm.is_manager else "worker") if swarm.active else None,
            swarm_cluster_id=swarm.cluster_id or None,
            swarm_node_id=swarm.node_id or None,
            containers=containers,
            networks=networks,
        )

    def events(self, name: str, filters: Mapping[str, Any] | None = None) -> EventStream:
        """A closable stream of the host's Docker events from now on."""
        with self._calls(name, "follow events"):
            stream = self.client(name).api.events(decode=True, filters=dict(filters or {}))
        return EventStream(name, stream)

    # -- reading -------------------------------------------------------------------------------

    def swarm_state(self, name: str) -> SwarmState:
        """The host's swarm membership."""
        with self._calls(name, "read the swarm state"):
            return swarm_from_info(self.client(name).api.info())

    def find_container(self, name: str, container: str) -> ContainerSnapshot | None:
        """The container with exactly that name, if any."""
        with self._calls(name, f"look for container {container}"):
            items = self.client(name).api.containers(all=True, filters={"name": container})
        for item in items:
            if f"/{container}" in (item.get("Names") or []):
                return container_from_list(name, item)
        return None

    def list_containers(self, name: str, labels: Mapping[str, str]) -> list[ContainerSnapshot]:
        """Every container (running or not) carrying all of these labels."""
        wanted = [f"{key}={value}" for key, value in labels.items()]
        with self._calls(name, "list containers"):
            items = self.client(name).api.containers(all=True, filters={"label": wanted})
        return [container_from_list(name, item) for item in items]

    def find_network(self, name: str, network: str) -> NetworkSnapshot | None:
        """The network with exactly that name as this host sees it, if any."""
        with self._calls(name, f"look for network {network}"):
            items = self.client(name).api.networks(names=[network])
            containers = self._network_members(name, network)
        for item in items:
            if item.get("Name") == network:
                return network_from_list(name, item, containers)
        return None

    def _network_members(self, name: str, network: str) -> list[ContainerSnapshot]:
        items = self.client(name).api.containers(all=True, filters={"network": network})
        return [container_from_list(name, item) for item in items]

    def list_networks(self, name: str, labels: Mapping[str, str]) -> list[NetworkSnapshot]:
        """Every network on the host carrying all of these labels."""
        wanted = [f"{key}={value}" for key, value in labels.items()]
        with self._calls(name, "list networks"):
            items = self.client(name).api.networks(filters={"label": wanted})
        return [network_from_list(name, item, ()) for item in items]

    def read_file(self, name: str, container: str, path: str) -> bytes | None:
        """A file's bytes from inside a container, or None when it is not there."""
        with self._calls(name, f"read {path} in {container}"):
            try:
                stream, _stat = self.client(name).api.get_archive(container, path)
            except docker.errors.NotFound:
                return None
            archive = b"".join(stream)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            member = next((m for m in tar.getmembers() if m.isfile()), None)
            extracted = tar.extractfile(member) if member is not None else None
            return extracted.read() if extracted is not None else None

    def logs(self, name: str, container: str, tail: int = 50) -> str:
        """The last lines a container wrote (stdout and stderr)."""
        with self._calls(name, f"read the logs of {container}"):
            raw = self.client(name).api.logs(container, tail=tail)
        return bytes(raw).decode("utf-8", errors="replace")

    # -- changing ------------------------------------------------------------------------------

    def swarm_init(self, name: str, address: str) -> None:
        """Make the host a swarm manager advertising (and listening on) `address`."""
        with self._calls(name, "initialise swarm mode"):
            self.client(name).api.init_swarm(
                advertise_addr=address, listen_addr=f"{address}:{SWARM_PORT}"
            )

    def swarm_worker_token(self, name: str) -> str:
        """The join token for workers, from a manager."""
        with self._calls(name, "read the swarm join token"):
            return str(self.client(name).api.inspect_swarm()["JoinTokens"]["Worker"])

    def swarm_join(self, name: str, manager_address: str, token: str, address: str) -> None:
        """Join the host to the manager's swarm as a worker advertising `address`."""
        with self._calls(name, f"join the swarm of {manager_address}"):
            self.client(name).api.join_swarm(
                remote_addrs=[f"{manager_address}:{SWARM_PORT}"],
                join_token=token,
                listen_addr=f"{address}:{SWARM_PORT}",
                advertise_addr=address,
            )

    def swarm_leave(self, name: str) -> None:
        """Leave the swarm (forced: a last manager may leave too)."""
        for attempt in range(1, SWARM_LEAVE_ATTEMPTS + 1):
            try:
                with self._calls(name, "leave the swarm"):
                    self.client(name).api.leave_swarm(force=True)
                return
            except ActionFailed as error:
                # An engine restarted moments ago may time out its swarm agent's stop
                # ("context deadline exceeded"); it leaves on a later try.
                if "deadline exceeded" not in str(error) or attempt == SWARM_LEAVE_ATTEMPTS:
                    raise
                time.sleep(SWARM_LEAVE_PAUSE_S)

    def swarm_node_labels(self, name: str, node_id: str) -> dict[str, str]:
        """A swarm node's labels, read from manager `name`."""
        with self._calls(name, f"inspect swarm node {node_id[:12]}"):
            node = self.client(name).api.inspect_node(node_id)
        return {str(k): str(v) for k, v in ((node.get("Spec") or {}).get("Labels") or {}).items()}

    def label_swarm_node(self, name: str, node_id: str, labels: Mapping[str, str]) -> None:
        """Add labels to a swarm node, through manager `name` (its other labels stay)."""
        with self._calls(name, f"label swarm node {node_id[:12]}"):
            api = self.client(name).api
            node = api.inspect_node(node_id)
            spec = dict(node["Spec"])
            spec["Labels"] = {**(spec.get("Labels") or {}), **labels}
            api.update_node(node_id, node["Version"]["Index"], spec)

    def create_network(self, name: str, network: Network, labels: Mapping[str, str]) -> str:
        """Create the network with the topology's flags; its ID."""
        ipam = None
        if network.subnet:
            ipam = docker.types.IPAMConfig(
                pool_configs=[docker.types.IPAMPool(subnet=network.subnet)]
            )
        with self._calls(name, f"create network {network.name}"):
            created = self.client(name).api.create_network(
                network.name,
                driver=network.driver,
                internal=network.internal,
                attachable=network.attachable,
                labels=dict(labels),
                ipam=ipam,
                check_duplicate=True,
            )
        return str(created["Id"])

    def remove_network(self, name: str, network: str) -> None:
        """Remove a network (by name or ID)."""
        with self._calls(name, f"remove network {network}"):
            self.client(name).api.remove_network(network)

    def create_container(self, name: str, request: ContainerRequest) -> str:
        """Create (not start) a container, pulling its image if the host lacks it; its ID."""
        with self._calls(name, f"create container {request.name}"):
            return create_container(self.client(name).api, name, request)

    def start_container(self, name: str, container: str) -> None:
        """Start a created or stopped container."""
        with self._calls(name, f"start container {container}"):
            self.client(name).api.start(container)

    def remove_container(self, name: str, container: str) -> None:
        """Remove a container, running or not, with its anonymous volumes."""
        with self._calls(name, f"remove container {container}"):
            try:
                self.client(name).api.remove_container(container, force=True, v=True)
            except docker.errors.NotFound:
                return

    def stop_container(self, name: str, container: str, timeout_s: float) -> None:
        """Stop a container: its stop signal, then SIGKILL after `timeout_s` (whole seconds)."""
        with self._calls(name, f"stop container {container}"):
            self.client(name).api.stop(container, timeout=max(1, round(timeout_s)))

    def rename_container(self, name: str, container: str, new_name: str) -> None:
        """Give a container another name."""
        with self._calls(name, f"rename container {container} to {new_name}"):
            self.client(name).api.rename(container, new_name)

    def put_files(self, name: str, container: str, files: Mapping[str, bytes]) -> None:
        """Copy files (absolute path -> bytes) into a container; no bind mount, so remote works."""
        with self._calls(name, f"copy {', '.join(files)} into {container}"):
            self.client(name).api.put_archive(container, "/", file_archive(files, READABLE_MODE))

    def signal_container(self, name: str, container: str, signal: str) -> None:
        """Send a signal to the container's main process."""
        with self._calls(name, f"send {signal} to {container}"):
            self.client(name).api.kill(container, signal=signal)

    def connect_network(self, name: str, network: str, container: str) -> None:
        """Attach a container to one more network."""
        with self._calls(name, f"connect {container} to network {network}"):
            self.client(name).api.connect_container_to_network(container, network)

    def wait_container(self, name: str, container: str, timeout_s: float) -> int:
        """Wait for a container to exit; its exit code."""
        with self._calls(name, f"wait for {container}"):
            try:
                result = self.client(name).api.wait(container, timeout=timeout_s)
            except (requests.exceptions.RequestException, OSError) as error:
                if not is_timeout(error):
                    raise
                raise ActionFailed(
                    f"container {container} on {name} did not finish within {timeout_s:.0f} s"
                ) from error
        return int(result.get("StatusCode", -1))

    @contextmanager
    def _calls(self, name: str, what: str) -> Iterator[None]:
        """Translate the SDK's errors for one operation on one host."""
        with translated(self.host(name), what):
            yield
