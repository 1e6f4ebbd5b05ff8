"""`lbtui rollout TOPOLOGY SERVICE`: roll one service to the file's spec, or to another image.

The CLI and the dashboard call `rollout_service`; `apply` and `redeploy` reach the same
`roll_service` through their services step. An `--image` rollout leaves the file as it
is: like `scale`, it is a run-time change that the next `apply` brings back to the file.
"""

from __future__ import annotations

from dataclasses import replace

from lbtui.core.docker.exec import ExecGateway
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.rollout.service import ServiceRollout, roll_service
from lbtui.core.services.scale import select_service
from lbtui.core.services.spec import service_request, spec_differences
from lbtui.core.topology.model import Service, Topology


def with_image(topology: Topology, name: str, image: str | None) -> tuple[Topology, Service]:
    """The topology with service `name` running `image` (unchanged when None)."""
    service = select_service(topology, name)
    if image is None:
        return topology, service
    if not image.strip() or any(c.isspace() for c in image):
        raise BadInput(f"image {image!r}: an image reference has no spaces")
    service = replace(service, image=image)
    return replace(topology, services={**topology.services, name: service}), service


def manager_of(topology: Topology) -> str:
    """The swarm manager host, where services are read and changed."""
    if topology.swarm is None:
        raise BadInput(f"topology {topology.name} has services but no `swarm.manager`")
    return topology.swarm.manager


def rollout_service(
    hosts: ExecGateway,
    topology: Topology,
    name: str,
    image: str | None = None,
    report: Reporter = ignore_progress,
    timeout_s: float | None = None,
) -> ServiceRollout | None:
    """Roll service `name` to the topology's spec (with `image`); None when it already runs it."""
    topology, service = with_image(topology, name, image)
    gateway = hosts.services(manager_of(topology))
    found = gateway.find_service(service.name)
    if found is None:
        raise ActionFailed(
            f"service {service.name} is not deployed; run `lbtui apply` on the topology first"
        )
    if not topology.owns(found.labels):
        raise ActionFailed(
            f"the swarm service {service.name} was not created by lbtui for topology "
            f"{topology.name}; it is left alone"
        )
    wanted = replace(service_request(topology, service), replicas=found.replicas or 1)
    if not spec_differences(found.labels, wanted):
        return None
    return roll_service(hosts, gateway, topology, service, found, wanted, report, timeout_s)


def needed_hosts(topology: Topology) -> set[str]:
    """The hosts a rollout talks to: the manager and every LB."""
    return {manager_of(topology)} | {v.host for v in topology.vips.values()}
