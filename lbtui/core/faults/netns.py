"""Run tools inside a container's network namespace, never inside the container itself.

Two ways in, so that images without any tools (busybox, distroless) work:
- host side: `nsenter --net=/proc/PID/ns/net` on this machine, for a local engine
  (unix socket) whose container pid is visible here (checked: the pid's namespace
  is the one Docker says the container lives in);
- helper: a short-lived container of a configurable image with iptables, tc and ip,
  sharing the target's namespace (`network_mode=container:ID`, NET_ADMIN only),
  for remote engines (tcp+TLS, ssh) and whenever the host side is not possible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import docker
import docker.errors

from lbtui.core.docker.errors import translated
from lbtui.core.errors import ActionFailed
from lbtui.core.faults.marks import NETEM_PROBE, command_text
from lbtui.core.faults.model import FaultOptions
from lbtui.core.topology.model import LABEL_ROLE, Host

#: Seconds one tool may take in a namespace.
COMMAND_TIMEOUT_S = 20.0
#: A helper ends (and is removed by Docker) after this long even if lbtui dies meanwhile.
HELPER_LIFETIME_S = 120
HELPER_ROLE = "fault-helper"
HOST_TOOLS = ("nsenter", "unshare", "iptables", "tc", "ip")


class ClientSource(Protocol):
    """What faults need from the gateway (`DockerHosts` is one)."""

    def host(self, name: str) -> Host:
        """The topology's host of that name."""
        ...

    def client(self, name: str) -> docker.DockerClient:
        """The SDK client of that host."""
        ...


@dataclass(frozen=True)
class CommandResult:
    """What one tool run in a namespace returned."""

    argv: tuple[str, ...]
    code: int
    output: str


class Namespace(Protocol):
    """A container's network namespace, where tools can run."""

    where: str
    """How it is reached, for progress lines (`host side`, `helper IMAGE`)."""

    def run(self, argv: Sequence[str]) -> CommandResult:
        """Run one tool there; its exit code and output (stdout then stderr)."""
        ...


def require_ok(result: CommandResult, container: str, host: str) -> str:
    """The output of a successful run; ActionFailed quoting the tool otherwise."""
    if result.code != 0:
        raise ActionFailed(
            f"`{command_text(result.argv)}` in the network namespace of {container} on {host} "
            f"failed (exit {result.code}): {result.output.strip() or 'no output'}"
        )
    return result.output


@contextmanager
def docker_errors(gateway: ClientSource, host: str, what: str) -> Iterator[None]:
    """The SDK's errors as lbtui's: no answer -> HostUnreachable, a refusal -> ActionFailed."""
    with translated(gateway.host(host), what):
        yield


def inspect(gateway: ClientSource, host: str, container: str) -> Mapping[str, Any] | None:
    """Docker's inspect data of a container, or None when there is no such container."""
    with docker_errors(gateway, host, f"inspect container {container}"):
        try:
            return dict(gateway.client(host).api.inspect_container(container))
        except docker.errors.NotFound:
            return None


class HostSide:
    """The namespace entered from this machine with nsenter (local engines, as root)."""

    def __init__(self, pid: int) -> None:
        self.where = "host side"
        self._path = f"/proc/{pid}/ns/net"

    def run(self, argv: Sequence[str]) -> CommandResult:
        """Run the tool under `nsenter --net`."""
        return _subprocess(("nsenter", f"--net={self._path}", "--", *argv))


def _subprocess(argv: Sequence[str]) -> CommandResult:
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ActionFailed(
            f"`{command_text(argv)}` did not finish within {COMMAND_TIMEOUT_S:.0f} s"
        ) from error
    return CommandResult(tuple(argv), done.returncode, done.stdout + done.stderr)


class Helper:
    """A running helper container; tools run in it with `docker exec`."""

    def __init__(self, gateway: ClientSource, host: str, container_id: str, image: str) -> None:
        self.where = f"helper {image}"
        self._gateway = gateway
        self._host = host
        self._id = container_id

    def run(self, argv: Sequence[str]) -> CommandResult:
        """Run the tool in the helper (which shares the target's namespace)."""
        with docker_errors(self._gateway, self._host, f"run {argv[0]} in a fault helper"):
            api = self._gateway.client(self._host).api
            created = api.exec_create(self._id, list(argv), stdout=True, stderr=True)
            output = api.exec_start(created["Id"])
            code = api.exec_inspect(created["Id"]).get("ExitCode")
        text = bytes(output).decode("utf-8", errors="replace")
        return CommandResult(tuple(argv), int(code if code is not None else -1), text)


@contextmanager
def helper(gateway: ClientSource, host: str, network_mode: str, image: str) -> Iterator[Helper]:
    """A helper container with `network_mode`, removed on exit (and by Docker when it ends)."""
    api = gateway.client(host).api
    with docker_errors(gateway, host, f"start a fault helper ({image})"):
        try:
            created = api.create_container(
                image=image,
                command=["sleep", str(HELPER_LIFETIME_S)],
                labels={LABEL_ROLE: HELPER_ROLE},
                host_config=api.create_host_config(
                    network_mode=network_mode, cap_add=["NET_ADMIN"], auto_remove=True
                ),
            )
        except docker.errors.ImageNotFound as error:
            raise ActionFailed(
                f"the fault helper image {image} is not on host {host}: load it there "
                "(the lab builds lbtui/fault-helper:lab) or pass --helper-image with one "
                "that has iptables, tc, ip and sleep"
            ) from error
        api.start(created["Id"])
    try:
        yield Helper(gateway, host, str(created["Id"]), image)
    finally:
        # auto_remove may have got there first.
        with (
            docker_errors(gateway, host, "remove a fault helper"),
            suppress(docker.errors.NotFound),
        ):
            api.remove_container(created["Id"], force=True)


def host_side_pid(gateway: ClientSource, host: str, data: Mapping[str, Any]) -> int | None:
    """The container's pid when its namespace can be entered from here, else None.

    Needs a local engine (unix socket), root, the tools, and a pid that really is the
    container's on this machine: its namespace must be the sandbox Docker names (or,
    when that path is not visible here, its cgroup must carry the container's ID).
    """
    if not gateway.host(host).url.startswith("unix://") or os.geteuid() != 0:
        return None
    if any(shutil.which(tool) is None for tool in HOST_TOOLS):
        return None
    pid = int((data.get("State") or {}).get("Pid") or 0)
    if pid <= 0:
        return None
    sandbox = str((data.get("NetworkSettings") or {}).get("SandboxKey") or "")
    try:
        namespace = os.stat(f"/proc/{pid}/ns/net")
        if sandbox and os.path.exists(sandbox):
            found = os.stat(sandbox)
            same = (found.st_dev, found.st_ino) == (namespace.st_dev, namespace.st_ino)
            return pid if same else None
        with open(f"/proc/{pid}/cgroup", encoding="utf-8") as cgroup:
            return pid if str(data.get("Id", "")) in cgroup.read() else None
    except OSError:
        return None


@contextmanager
def open_namespace(
    gateway: ClientSource, host: str, data: Mapping[str, Any], options: FaultOptions
) -> Iterator[Namespace]:
    """The container's network namespace by the way `options.via` asks for."""
    name = str(data.get("Name", "")).lstrip("/")
    state = data.get("State") or {}
    if not state.get("Running"):
        raise ActionFailed(
            f"container {name} on {host} is not running: it has no network namespace to fault"
        )
    pid = host_side_pid(gateway, host, data) if options.via != "helper" else None
    if options.via == "host" and pid is None:
        raise ActionFailed(
            f"cannot enter the namespace of {name} on {host} from this machine (needs a local "
            "unix:// engine, root, nsenter/iptables/tc/ip, and the container's pid visible here); "
            "use --via helper"
        )
    if pid is not None:
        yield HostSide(pid)
        return
    with helper(gateway, host, f"container:{data['Id']}", options.helper_image) as inside:
        yield inside


def probe_netem(gateway: ClientSource, host: str, options: FaultOptions) -> CommandResult:
    """Add a netem queue in a throwaway namespace on the host's kernel; nothing else is touched."""
    if options.via != "helper" and host_side_pid_possible(gateway, host):
        return _subprocess(("unshare", "--net", *NETEM_PROBE))
    with helper(gateway, host, "none", options.helper_image) as probe:
        return probe.run(NETEM_PROBE)


def host_side_pid_possible(gateway: ClientSource, host: str) -> bool:
    """True when a local engine's kernel is this machine's and we may create namespaces."""
    url = gateway.host(host).url
    return url.startswith("unix://") and os.geteuid() == 0 and shutil.which("unshare") is not None
