"""Open one docker SDK client for one host: unix, TLS, insecure tcp or ssh, with short timeouts.

The SDK is used in `core.docker` only; everything else goes through the gateway.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import docker
import docker.tls

from lbtui.core.docker.errors import DOCKER_ERRORS, unreachable
from lbtui.core.errors import BadInput
from lbtui.core.topology.model import Host

#: Seconds any one API call may take; image pulls and waits pass their own.
API_TIMEOUT_S = 30.0
#: Seconds a reachability check may take before the host counts as unreachable.
PING_TIMEOUT_S = 5.0
#: The newest API version lbtui speaks; older daemons are met at theirs.
NEWEST_API_VERSION = docker.constants.DEFAULT_DOCKER_API_VERSION


@dataclass(frozen=True)
class Connection:
    """How to reach one host: the SDK keyword arguments plus any warning to show."""

    host: Host
    kwargs: dict[str, Any]
    warning: str | None = None


def connection_for(host: Host) -> Connection:
    """The SDK arguments for a host's URL; a `tcp://` URL needs TLS or `insecure: true`."""
    url = host.url
    if url.startswith("unix://"):
        return Connection(host, {"base_url": url})
    if url.startswith("ssh://"):
        return Connection(host, {"base_url": url, "use_ssh_client": True})
    if url.startswith("tcp://"):
        if host.tls is not None:
            tls = docker.tls.TLSConfig(
                client_cert=(str(host.tls.cert), str(host.tls.key)),
                ca_cert=str(host.tls.ca),
                verify=True,
            )
            return Connection(host, {"base_url": url.replace("tcp://", "https://", 1), "tls": tls})
        if host.insecure:
            warning = (
                f"host {host.name} ({url}) is reached over plain TCP without TLS: anyone on the "
                "path can read and drive this Docker engine"
            )
            return Connection(host, {"base_url": url}, warning)
        raise BadInput(
            f"host {host.name} ({url}): tcp:// needs `tls: {{ca, cert, key}}` "
            "(or an explicit `insecure: true`)"
        )
    raise BadInput(f"host {host.name}: unsupported URL {url!r}; use unix://, tcp:// or ssh://")


def _without_environment(api: docker.APIClient) -> docker.APIClient:
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override the session's CA
    # (the topology's), so the session must not read the environment at all.
    api.trust_env = False
    return api


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


class HostLink:
    """A host's pinger (short timeout, unversioned calls) and, once it answered, its client."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._pinger = _without_environment(
            docker.APIClient(
                version=docker.constants.MINIMUM_DOCKER_API_VERSION,
                timeout=PING_TIMEOUT_S,
                **connection.kwargs,
            )
        )
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    def ping(self) -> str:
        """The daemon's API version, or HostUnreachable naming the host, its URL and why."""
        try:
            return str(self._pinger.version(api_version=False)["ApiVersion"])
        except DOCKER_ERRORS as error:
            # Even a refusal here (an HTTP error) means no usable engine at that URL.
            raise unreachable(self.connection.host, error) from error

    def check(self) -> None:
        """HostUnreachable unless the daemon answers now.

        Once the API version is known, `/_ping` answers it: `/version` (the first ping) makes
        the daemon run `runc --version` and `docker-init --version`, ~7 ms of its CPU a call,
        and apply checks its hosts before every job.
        """
        with self._lock:
            if self._client is None:
                self._client_locked()
                return
        try:
            self._pinger.ping()
        except DOCKER_ERRORS as error:
            raise unreachable(self.connection.host, error) from error

    def client(self) -> docker.DockerClient:
        """The host's client at the newest API version both sides speak (pings on first use)."""
        with self._lock:
            return self._client_locked()

    def _client_locked(self) -> docker.DockerClient:
        if self._client is None:
            server = self.ping()
            version = min(server, NEWEST_API_VERSION, key=_version_key)
            client = docker.DockerClient(
                version=version, timeout=API_TIMEOUT_S, **self.connection.kwargs
            )
            _without_environment(client.api)
            self._client = client
        return self._client

    def close(self) -> None:
        """Close both sessions."""
        self._pinger.close()
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
