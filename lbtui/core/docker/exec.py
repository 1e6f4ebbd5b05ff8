"""Run a command inside a running container (`docker exec`) and collect what it printed.

The actions' `DockerGateway` has no exec; redeploy and server control need one
(`haproxy -c` inside the running LB, the runtime API), so `ExecGateway` adds the
raw client to it. `DockerHosts` satisfies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import docker

from lbtui.core.docker.errors import translated
from lbtui.core.docker.gateway import DockerGateway


class ExecGateway(DockerGateway, Protocol):
    """A gateway that also hands out a host's SDK client (for exec)."""

    def client(self, name: str) -> docker.DockerClient:
        """The SDK client of a host."""
        ...


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a container returned."""

    exit_code: int | None
    """None when the caller did not ask for it (one API call less)."""
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout then stderr, for error messages."""
        return "\n".join(part for part in (self.stdout.strip(), self.stderr.strip()) if part)


def exec_in(
    gateway: ExecGateway,
    host: str,
    container: str,
    argv: Sequence[str],
    user: str = "",
    exit_code: bool = True,
) -> ExecResult:
    """Run `argv` in the container (as `user`, default its own) and wait; errors become lbtui's.

    `exit_code=False` skips asking Docker for the exit code, for scripts that print
    their own outcome: on a busy host every API call counts when timing a reload.
    """
    with translated(gateway.host(host), f"run {argv[0]} in {container}"):
        api = gateway.client(host).api
        created = api.exec_create(container, list(argv), stdout=True, stderr=True, user=user)
        out, err = api.exec_start(created["Id"], demux=True)
        code = api.exec_inspect(created["Id"]).get("ExitCode") if exit_code else None
    return ExecResult(
        exit_code=int(code) if code is not None else None,
        stdout=(out or b"").decode("utf-8", errors="replace"),
        stderr=(err or b"").decode("utf-8", errors="replace"),
    )
