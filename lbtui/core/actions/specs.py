"""The containers a topology asks for, and how a running one differs from its spec.

The spec is stored on the container as a JSON label, so `plan` can say exactly what
drifted ("image changed lbtui/web:lab -> x") without keeping any state of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.topology.model import (
    LABEL_CONFIG_HASH,
    LABEL_SPEC_HASH,
    LABEL_VIP,
    Backend,
    Topology,
    Vip,
)

#: The JSON spec a container was created from.
LABEL_SPEC = "lbtui.spec"
#: Environment variable the lab's web image prints as the server's name.
SERVER_NAME_ENV = "LBTUI_SERVER_NAME"
RESTART_POLICY = "unless-stopped"
#: `docker stop` on an LB sends this: HAProxy's master then stops its workers gracefully.
LB_STOP_SIGNAL = "SIGUSR1"

Spec = dict[str, object]

#: In an LB's spec: its config-hash label is a hash of the config with the stats password
#: masked. An LB created before lacks it, so it differs from the spec and is recreated
#: once: a label cannot be changed in place, and a hash of the full text would let a weak
#: password be guessed offline by anyone who can `docker inspect`.
CONFIG_HASH_LABEL = "config_hash_label"
PASSWORD_MASKED = "password-masked"


def _spec(request: ContainerRequest) -> Spec:
    return {
        "image": request.image,
        "network": request.network,
        "hostname": request.hostname,
        "environment": dict(sorted(request.environment.items())),
        "command": list(request.command) if request.command else None,
        "ports": dict(sorted(request.ports.items())),
        "restart": request.restart_policy,
    }


def _with_spec_labels(
    request: ContainerRequest, labels: Mapping[str, str], extra: Spec | None = None
) -> ContainerRequest:
    text = json.dumps({**_spec(request), **(extra or {})}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return ContainerRequest(
        name=request.name,
        image=request.image,
        network=request.network,
        labels={**labels, LABEL_SPEC: text, LABEL_SPEC_HASH: digest},
        hostname=request.hostname,
        environment=request.environment,
        command=request.command,
        ports=request.ports,
        restart_policy=request.restart_policy,
        stop_signal=request.stop_signal,
    )


def backend_request(topology: Topology, backend: Backend) -> ContainerRequest:
    """The container of a backend: its name as hostname, named in LBTUI_SERVER_NAME."""
    environment = {**dict(backend.environment), SERVER_NAME_ENV: backend.name}
    request = ContainerRequest(
        name=backend.name,
        image=backend.image,
        network=backend.network,
        labels={},
        hostname=backend.name,
        environment=environment,
        command=backend.command,
        restart_policy=RESTART_POLICY,
    )
    return _with_spec_labels(request, topology.labels("backend"))


def lb_request(topology: Topology, vip: Vip, config_hash: str) -> ContainerRequest:
    """The LB container of a VIP, publishing `publish` -> its frontend port.

    `config_hash` is of the config with the password masked (`lb.render_vip`).
    """
    request = ContainerRequest(
        name=vip.container,
        image=vip.image,
        network=vip.network,
        labels={},
        ports={f"{vip.frontend_port}/tcp": vip.publish},
        restart_policy=RESTART_POLICY,
        # HAProxy's soft stop: the listeners close at once, requests in flight finish.
        stop_signal=LB_STOP_SIGNAL,
    )
    labels = topology.labels("lb", {LABEL_VIP: vip.name, LABEL_CONFIG_HASH: config_hash})
    return _with_spec_labels(request, labels, {CONFIG_HASH_LABEL: PASSWORD_MASKED})


def spec_differences(labels: Mapping[str, str], wanted: ContainerRequest) -> list[str]:
    """How a container (by its labels) differs from the wanted one; empty when it matches."""
    stored = labels.get(LABEL_SPEC)
    if stored is None:
        return ["created without an lbtui spec"]
    try:
        old = json.loads(stored)
    except json.JSONDecodeError:
        return ["its lbtui spec label is unreadable"]
    new = _wanted_spec(wanted)
    if not isinstance(old, dict):
        return ["its lbtui spec label is unreadable"]
    return [
        f"{key} changed {_show(old.get(key))} -> {_show(new[key])}"
        for key in new
        if old.get(key) != new[key]
    ]


def _wanted_spec(wanted: ContainerRequest) -> Spec:
    """The request's spec in field order, plus the extra keys its spec label holds."""
    spec = _spec(wanted)
    try:
        stored = json.loads(wanted.labels.get(LABEL_SPEC, ""))
    except json.JSONDecodeError:
        return spec
    if isinstance(stored, dict):
        spec.update({key: value for key, value in stored.items() if key not in spec})
    return spec


def _show(value: object) -> str:
    if value is None or value == {} or value == []:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
