"""What a lab looks like right now: per host, its daemon, reachability and images."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass

import docker
from docker.errors import DockerException
from requests.exceptions import RequestException

from lbtui.core.errors import BadInput
from lbtui.lab import daemons
from lbtui.lab.plan import HostPlan, LabPlan, plan_lab
from lbtui.lab.spec import LabSpec
from lbtui.lab.tls import LabTls, client_files

API_VERSION = "1.41"
STATUS_TIMEOUT = 5


@dataclass(frozen=True)
class LabHostStatus:
    """One lab host as it is now."""

    name: str
    socket_url: str
    address: str
    pid: int | None
    reachable: bool
    engine_version: str | None
    engine_id: str | None
    images: tuple[str, ...]
    tls_url: str | None

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "socket_url": self.socket_url,
            "address": self.address,
            "pid": self.pid,
            "reachable": self.reachable,
            "engine_version": self.engine_version,
            "engine_id": self.engine_id,
            "images": list(self.images),
            "tls_url": self.tls_url,
        }


@dataclass(frozen=True)
class LabStatus:
    """A lab as it is now: its spec, its hosts and (with TLS) the client's files."""

    spec: LabSpec
    hosts: tuple[LabHostStatus, ...]
    tls: LabTls | None = None

    @property
    def healthy(self) -> bool:
        """True when every host answers."""
        return bool(self.hosts) and all(host.reachable for host in self.hosts)

    def host(self, name: str) -> LabHostStatus:
        """The status of the host called `name` (KeyError if there is none)."""
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "lab": self.spec.name,
            "subnet": self.spec.subnet,
            "tls": self.spec.tls,
            "healthy": self.healthy,
            "hosts": [host.to_json() for host in self.hosts],
            "tls_files": None if self.tls is None else vars(self.tls),
        }


def engine_client(host: HostPlan, timeout: int = STATUS_TIMEOUT) -> docker.DockerClient:
    """A docker SDK client on the host's unix socket."""
    return docker.DockerClient(base_url=host.socket_url, version=API_VERSION, timeout=timeout)


def host_status(plan: LabPlan, host: HostPlan) -> LabHostStatus:
    """Look at one host."""
    pid = daemons.daemon_pid(host)
    version = engine_id = None
    images: tuple[str, ...] = ()
    reachable = False
    if host.socket_path.exists():
        try:
            with closing(engine_client(host)) as client:
                info = client.info()
                version, engine_id = info.get("ServerVersion"), info.get("ID")
                images = tuple(sorted(tag for image in client.images.list() for tag in image.tags))
                reachable = True
        except (DockerException, RequestException, OSError):
            reachable = False
    return LabHostStatus(
        name=host.name,
        socket_url=host.socket_url,
        address=host.address,
        pid=pid,
        reachable=reachable,
        engine_version=version,
        engine_id=engine_id,
        images=images,
        tls_url=host.tls_url if plan.spec.tls else None,
    )


def status_of(plan: LabPlan) -> LabStatus:
    """Look at every host of the lab, in parallel."""
    with ThreadPoolExecutor(max_workers=len(plan.hosts)) as pool:
        hosts = tuple(pool.map(lambda host: host_status(plan, host), plan.hosts))
    return LabStatus(plan.spec, hosts, client_files(plan) if plan.spec.tls else None)


def lab_status(spec: LabSpec) -> LabStatus:
    """The lab's current status (never raises for a lab that is down: hosts are unreachable)."""
    return status_of(plan_lab(spec))


def recorded_spec(name: str) -> LabSpec | None:
    """The spec the lab `name` was last brought up with, if it is up (or left behind)."""
    spec_file = plan_lab(LabSpec(name=name)).spec_file
    try:
        data = json.loads(spec_file.read_text())
        return LabSpec(
            name=name, hosts=int(data["hosts"]), subnet=str(data["subnet"]), tls=bool(data["tls"])
        )
    except (OSError, ValueError, KeyError, TypeError, BadInput):
        return None


def write_spec(plan: LabPlan) -> None:
    """Record the spec the lab is up with (status and down read it)."""
    spec = plan.spec
    plan.spec_file.write_text(
        json.dumps({"hosts": spec.hosts, "subnet": spec.subnet, "tls": spec.tls})
    )
