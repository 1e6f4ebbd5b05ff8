"""The swarm service a topology's `services:` entry asks for, and how a running one differs.

Like containers, a service carries its spec as a JSON label and a hash of it, so `plan`
can say what drifted ("image changed lbtui/web:lab -> lbtui/web:lab-v2") from the
service alone. The replica count is not part of that spec: it is compared on its own,
because `lbtui scale` changes it at run time and `apply` brings it back (safely, through
the same drain as `scale`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from lbtui.core.docker.services import NODE_HOST_CONSTRAINT, ServiceRequest, ServiceSnapshot
from lbtui.core.topology.model import LABEL_SPEC_HASH, Service, Topology

#: The JSON spec a service was created from (the same key containers use).
LABEL_SPEC = "lbtui.spec"
ROLE = "service"


def placement_constraints(topology: Topology, service: Service) -> tuple[str, ...]:
    """Swarm constraints that keep the tasks on the service's placement hosts.

    Nodes are matched by the `lbtui.host` label `apply` puts on every node it manages
    (lab engines share one hostname, so node.hostname cannot tell them apart). Swarm
    ANDs constraints and has no OR: one host is `==`, several are `!=` each host of the
    topology left out; no placement, or every host, needs none.
    """
    placement = service.placement
    if len(placement) == 1:
        return (f"{NODE_HOST_CONSTRAINT}=={placement[0]}",)
    left_out = sorted(set(topology.hosts) - set(placement)) if placement else []
    return tuple(f"{NODE_HOST_CONSTRAINT}!={host}" for host in left_out)


def _spec(request: ServiceRequest) -> dict[str, object]:
    return {
        "image": request.image,
        "network": request.network,
        "environment": dict(sorted(request.environment.items())),
        "command": list(request.command) if request.command else None,
        "constraints": sorted(request.constraints),
        "update": {"parallelism": request.update_parallelism, "order": request.update_order},
    }


def service_request(topology: Topology, service: Service) -> ServiceRequest:
    """The swarm service of a topology service, labelled with its spec and the topology's."""
    request = ServiceRequest(
        name=service.name,
        image=service.image,
        network=service.network,
        replicas=service.replicas,
        labels={},
        environment=dict(service.environment),
        command=service.command,
        constraints=placement_constraints(topology, service),
        update_parallelism=service.update.parallelism,
        update_order=service.update.order,
    )
    text = json.dumps(_spec(request), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    labels = {**topology.labels(ROLE), LABEL_SPEC: text, LABEL_SPEC_HASH: digest}
    return ServiceRequest(
        name=request.name,
        image=request.image,
        network=request.network,
        replicas=request.replicas,
        labels=labels,
        environment=request.environment,
        command=request.command,
        constraints=request.constraints,
        update_parallelism=request.update_parallelism,
        update_order=request.update_order,
    )


def spec_differences(labels: Mapping[str, str], wanted: ServiceRequest) -> list[str]:
    """How a service (by its labels) differs from the wanted one, replicas aside."""
    if labels.get(LABEL_SPEC_HASH) == wanted.labels[LABEL_SPEC_HASH]:
        return []
    stored = labels.get(LABEL_SPEC)
    if stored is None:
        return ["created without an lbtui spec"]
    try:
        old = json.loads(stored)
    except json.JSONDecodeError:
        old = None
    if not isinstance(old, dict):
        return ["its lbtui spec label is unreadable"]
    new = _spec(wanted)
    return [
        f"{key} changed {_show(old.get(key))} -> {_show(new[key])}"
        for key in new
        if old.get(key) != new[key]
    ] or ["its spec hash differs"]


def replica_difference(found: ServiceSnapshot, wanted: ServiceRequest) -> str | None:
    """ "replicas 8 -> 4" when the running count differs from the topology's, else None."""
    if found.replicas == wanted.replicas:
        return None
    current = "global" if found.replicas is None else str(found.replicas)
    return f"replicas {current} -> {wanted.replicas}"


def _show(value: object) -> str:
    if value is None or value == {} or value == []:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
