"""Creating containers: what one to create looks like, and creating it (pulling a missing image)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors

from lbtui.core.errors import ActionFailed


@dataclass(frozen=True)
class ContainerRequest:
    """What a container to create looks like (image, name, network, labels, ...)."""

    name: str
    image: str
    network: str
    labels: Mapping[str, str]
    hostname: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    command: tuple[str, ...] | None = None
    ports: Mapping[str, int] = field(default_factory=dict)
    """Container port ("80/tcp") -> host port."""
    restart_policy: str | None = "unless-stopped"
    stop_signal: str | None = None
    """What `docker stop` sends first; None: the image's (normally SIGTERM)."""


def create_container(api: docker.APIClient, host: str, request: ContainerRequest) -> str:
    """Create (not start) the container on `host`, pulling its image if missing; its ID.

    The SDK's own errors leave as they are, for the gateway to translate.
    """
    host_config = api.create_host_config(
        port_bindings={port: host_port for port, host_port in request.ports.items()} or None,
        restart_policy={"Name": request.restart_policy} if request.restart_policy else None,
        network_mode=request.network,
    )
    arguments: dict[str, Any] = {
        "image": request.image,
        "name": request.name,
        "hostname": request.hostname,
        "environment": dict(request.environment) or None,
        "command": list(request.command) if request.command else None,
        "labels": dict(request.labels),
        "stop_signal": request.stop_signal,
        "ports": [int(port.split("/")[0]) for port in request.ports] or None,
        "host_config": host_config,
        "networking_config": api.create_networking_config(
            {request.network: api.create_endpoint_config()}
        ),
    }
    try:
        created = api.create_container(**arguments)
    except docker.errors.ImageNotFound:
        _pull(api, host, request.image)
        created = api.create_container(**arguments)
    return str(created["Id"])


def _pull(api: docker.APIClient, host: str, image: str) -> None:
    repository, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    try:
        api.pull(repository, tag=tag or "latest")
    except docker.errors.APIError as error:
        raise ActionFailed(
            f"image {image} is not on host {host} and could not be pulled: "
            f"{error.explanation or error}"
        ) from error
