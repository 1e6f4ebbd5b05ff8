"""Drive and inspect single containers, networks and hosts through the gateway's clients.

Used by the dashboard (stop/start/kill keys, the detail views). Every call blocks;
Docker's errors become lbtui's through `core.docker.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import docker

from lbtui.core.docker.errors import translated
from lbtui.core.topology.model import Host

#: Seconds `docker stop` waits for the process before it kills it.
STOP_TIMEOUT_S = 10


class ClientSource(Protocol):
    """What this module needs from the gateway (`DockerHosts` is one)."""

    def host(self, name: str) -> Host:
        """The topology's host of that name."""
        ...

    def client(self, name: str) -> docker.DockerClient:
        """The SDK client of that host."""
        ...


class LogStream:
    """A container's log, line by line as it is written; `close()` from another thread ends it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[str]:
        pending = b""
        for chunk in self._stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode("utf-8", errors="replace")
        if pending:
            yield pending.decode("utf-8", errors="replace")

    def close(self) -> None:
        """Stop following; the iterating thread ends."""
        self._stream.close()


class ContainerControl:
    """Stop/start/kill/inspect/logs of one container at a time, by host name."""

    def __init__(self, hosts: ClientSource) -> None:
        self._hosts = hosts

    @contextmanager
    def _call(self, host: str, what: str) -> Iterator[docker.DockerClient]:
        with translated(self._hosts.host(host), what):
            yield self._hosts.client(host)

    def stop(self, host: str, container: str) -> None:
        """Stop a container (SIGTERM, then SIGKILL after STOP_TIMEOUT_S)."""
        with self._call(host, f"stop container {container}") as client:
            client.api.stop(container, timeout=STOP_TIMEOUT_S)

    def start(self, host: str, container: str) -> None:
        """Start a stopped container."""
        with self._call(host, f"start container {container}") as client:
            client.api.start(container)

    def kill(self, host: str, container: str) -> None:
        """Kill a container (SIGKILL)."""
        with self._call(host, f"kill container {container}") as client:
            client.api.kill(container)

    def inspect_container(self, host: str, container: str) -> Mapping[str, Any]:
        """Docker's inspect data of a container."""
        with self._call(host, f"inspect container {container}") as client:
            return dict(client.api.inspect_container(container))

    def inspect_network(self, host: str, network: str) -> Mapping[str, Any]:
        """Docker's inspect data of a network, as that host sees it."""
        with self._call(host, f"inspect network {network}") as client:
            return dict(client.api.inspect_network(network))

    def host_info(self, host: str) -> Mapping[str, Any]:
        """Docker's `info` and `version` of a host."""
        with self._call(host, "read the engine info") as client:
            return {"info": client.api.info(), "version": client.api.version()}

    def logs(self, host: str, container: str, tail: int) -> LogStream:
        """The last `tail` lines of the container's output, then new lines as they come."""
        with self._call(host, f"follow the logs of {container}") as client:
            stream = client.api.logs(container, stream=True, follow=True, tail=tail)
        return LogStream(stream)
