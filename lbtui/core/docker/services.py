"""Swarm services through the SDK, on the swarm's manager: create, update, scale, remove, read.

`ServiceGateway` is the only place that calls the SDK's service, task and node APIs;
it returns frozen snapshots and raises lbtui's errors (`core.docker.errors`).

Creating a service never waits on a registry: unlike the `docker service create`
CLI, which asks the registry for the image's digest first unless given
`--no-resolve-image`, the SDK's `create_service` sends the spec as it is (it only
reads local credentials for the image's registry). Pulling, if needed, is the
engines' business when they start tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
import docker.types

from lbtui.core.docker.errors import translated
from lbtui.core.topology.model import Host

#: Label that tells lbtui which topology host a swarm node is (lab hosts share a hostname).
NODE_HOST_LABEL = "lbtui.host"
#: Constraint prefix for that label.
NODE_HOST_CONSTRAINT = f"node.labels.{NODE_HOST_LABEL}"


@dataclass(frozen=True)
class ServiceRequest:
    """A replicated service as lbtui creates it: one overlay, DNS round robin, no ports."""

    name: str
    image: str
    network: str
    replicas: int
    labels: Mapping[str, str]
    environment: Mapping[str, str] = field(default_factory=dict)
    command: tuple[str, ...] | None = None
    """The image's CMD replaced (the entrypoint stays), as for backends."""
    constraints: tuple[str, ...] = ()
    update_parallelism: int = 1
    update_order: str = "start-first"
    update_delay_s: float = 0.0
    """Seconds swarm waits after each replaced task before the next (also when rolling back)."""


@dataclass(frozen=True)
class ServiceSnapshot:
    """A service as the manager describes it."""

    id: str
    name: str
    version: int
    labels: Mapping[str, str]
    image: str
    replicas: int | None
    """None for a global service."""
    update_state: str
    """The last update's state (updating, completed, paused, rollback_...), or ''."""
    update_message: str = ""


@dataclass(frozen=True)
class TaskSnapshot:
    """One task of a service."""

    id: str
    slot: int | None
    node_id: str
    state: str
    """What the task is: new ... preparing, starting, running, complete, shutdown, failed ..."""
    desired_state: str
    """What swarm wants it to be: running, shutdown, remove ..."""
    addresses: Mapping[str, str]
    """Network name -> the task's IP address on it."""
    message: str
    error: str
    image: str = ""
    """The image of the spec the task was made from."""

    @property
    def running(self) -> bool:
        """Running and meant to stay so."""
        return self.state == "running" and self.desired_state == "running"


@dataclass(frozen=True)
class NodeSnapshot:
    """One swarm node."""

    id: str
    hostname: str
    labels: Mapping[str, str]
    state: str
    availability: str


def service_from_inspect(raw: Mapping[str, Any]) -> ServiceSnapshot:
    """A ServiceSnapshot from the API's service description."""
    spec = raw.get("Spec") or {}
    container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    replicated = (spec.get("Mode") or {}).get("Replicated")
    return ServiceSnapshot(
        id=str(raw.get("ID", "")),
        name=str(spec.get("Name", "")),
        version=int((raw.get("Version") or {}).get("Index", 0)),
        labels=dict(spec.get("Labels") or {}),
        image=str(container.get("Image", "")),
        replicas=int(replicated.get("Replicas", 0)) if replicated is not None else None,
        update_state=str((raw.get("UpdateStatus") or {}).get("State", "")),
        update_message=str((raw.get("UpdateStatus") or {}).get("Message", "")),
    )


def task_from_inspect(raw: Mapping[str, Any]) -> TaskSnapshot:
    """A TaskSnapshot from the API's task description."""
    status = raw.get("Status") or {}
    addresses: dict[str, str] = {}
    for attachment in raw.get("NetworksAttachments") or []:
        network = str(((attachment.get("Network") or {}).get("Spec") or {}).get("Name", ""))
        for cidr in attachment.get("Addresses") or []:
            addresses.setdefault(network, str(cidr).split("/")[0])
    slot = raw.get("Slot")
    return TaskSnapshot(
        id=str(raw.get("ID", "")),
        slot=int(slot) if slot is not None else None,
        node_id=str(raw.get("NodeID", "")),
        state=str(status.get("State", "")),
        desired_state=str(raw.get("DesiredState", "")),
        addresses=addresses,
        message=str(status.get("Message", "")),
        error=str(status.get("Err", "")),
        image=str(((raw.get("Spec") or {}).get("ContainerSpec") or {}).get("Image", "")),
    )


def node_from_inspect(raw: Mapping[str, Any]) -> NodeSnapshot:
    """A NodeSnapshot from the API's node description."""
    spec = raw.get("Spec") or {}
    return NodeSnapshot(
        id=str(raw.get("ID", "")),
        hostname=str((raw.get("Description") or {}).get("Hostname", "")),
        labels=dict(spec.get("Labels") or {}),
        state=str((raw.get("Status") or {}).get("State", "")),
        availability=str(spec.get("Availability", "")),
    )


def _task_template(request: ServiceRequest) -> docker.types.TaskTemplate:
    container = docker.types.ContainerSpec(
        image=request.image,
        args=list(request.command) if request.command else None,
        env=dict(request.environment) or None,
    )
    return docker.types.TaskTemplate(
        container_spec=container,
        placement=docker.types.Placement(constraints=list(request.constraints) or None),
        networks=[docker.types.NetworkAttachmentConfig(target=request.network)],
    )


def _spec_arguments(request: ServiceRequest) -> dict[str, Any]:
    delay_ns = int(request.update_delay_s * 1e9)
    return {
        "task_template": _task_template(request),
        "name": request.name,
        "labels": dict(request.labels),
        "mode": docker.types.ServiceMode("replicated", replicas=request.replicas),
        "update_config": docker.types.UpdateConfig(
            parallelism=request.update_parallelism,
            order=request.update_order,
            failure_action="rollback",
            delay=delay_ns,
        ),
        # A rollback replaces tasks like an update does, paced the same; swarm never rolls
        # back a rollback: it pauses.
        "rollback_config": docker.types.RollbackConfig(
            parallelism=request.update_parallelism,
            order=request.update_order,
            failure_action="pause",
            delay=delay_ns,
        ),
        # HAProxy balances over the tasks itself (`tasks.NAME`): no virtual IP needed.
        "endpoint_spec": docker.types.EndpointSpec(mode="dnsrr"),
    }


class ServiceGateway:
    """The services, tasks and nodes of the swarm `manager` (a topology host) manages."""

    def __init__(self, host: Host, client: Callable[[], docker.DockerClient]) -> None:
        """`client` gives the manager's SDK client (opened lazily by its owner)."""
        self.host = host
        self._client = client

    @contextmanager
    def _calls(self, what: str) -> Iterator[Any]:
        with translated(self.host, what):
            yield self._client().api

    def find_service(self, name: str) -> ServiceSnapshot | None:
        """The service of exactly that name, if any."""
        with self._calls(f"look for service {name}") as api:
            items = api.services(filters={"name": name})
        found = [service_from_inspect(item) for item in items]
        return next((s for s in found if s.name == name), None)

    def list_services(self, labels: Mapping[str, str]) -> list[ServiceSnapshot]:
        """Every service carrying all of these labels."""
        wanted = [f"{key}={value}" for key, value in labels.items()]
        with self._calls("list services") as api:
            items = api.services(filters={"label": wanted})
        return [service_from_inspect(item) for item in items]

    def create_service(self, request: ServiceRequest) -> str:
        """Create the service; its ID."""
        with self._calls(f"create service {request.name}") as api:
            created = api.create_service(**_spec_arguments(request))
        return str(created["ID"])

    def update_service(self, found: ServiceSnapshot, request: ServiceRequest) -> None:
        """Replace the service's whole spec (swarm rolls the tasks per its update settings)."""
        with self._calls(f"update service {request.name}") as api:
            api.update_service(found.id, found.version, **_spec_arguments(request))

    def rollback_service(self, name: str) -> None:
        """Ask swarm to roll the service back to its previous spec (`docker service rollback`).

        The SDK has no call for it: this is the update endpoint with `rollback=previous`,
        which ignores the spec sent and uses the one swarm kept before the last update.
        """
        with self._calls(f"roll back service {name}") as api:
            raw = api.inspect_service(name)
            response = api._post_json(
                api._url("/services/{0}/update", raw["ID"]),
                data=raw["Spec"],
                params={"version": raw["Version"]["Index"], "rollback": "previous"},
            )
            api._raise_for_status(response)

    def scale_service(self, name: str, replicas: int) -> ServiceSnapshot:
        """Set the number of replicas, nothing else; the service as it was before."""
        with self._calls(f"scale service {name} to {replicas}") as api:
            raw = api.inspect_service(name)
            api.update_service(
                raw["ID"],
                raw["Version"]["Index"],
                mode=docker.types.ServiceMode("replicated", replicas=replicas),
                fetch_current_spec=True,
            )
        return service_from_inspect(raw)

    def remove_service(self, name: str) -> None:
        """Remove the service; its tasks stop soon after."""
        with self._calls(f"remove service {name}") as api:
            try:
                api.remove_service(name)
            except docker.errors.NotFound:
                return

    def tasks(self, service: str) -> list[TaskSnapshot]:
        """The service's tasks, past ones (shut down, failed) included; none once it is gone."""
        with self._calls(f"list the tasks of service {service}") as api:
            try:
                items = api.tasks(filters={"service": service})
            except docker.errors.NotFound:
                return []
        return [task_from_inspect(item) for item in items]

    def nodes(self) -> list[NodeSnapshot]:
        """Every node of the swarm."""
        with self._calls("list swarm nodes") as api:
            return [node_from_inspect(item) for item in api.nodes()]

    def label_node(self, node_id: str, labels: Mapping[str, str]) -> bool:
        """Add (or change) labels of a node; False when it had them already."""
        with self._calls(f"label swarm node {node_id[:12]}") as api:
            raw = api.inspect_node(node_id)
            spec = dict(raw.get("Spec") or {})
            current = dict(spec.get("Labels") or {})
            if all(current.get(key) == value for key, value in labels.items()):
                return False
            spec["Labels"] = {**current, **labels}
            api.update_node(node_id, raw["Version"]["Index"], spec)
        return True
