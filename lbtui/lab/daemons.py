"""Starting, checking and stopping each lab host's dockerd."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx

from lbtui.core.errors import LabError
from lbtui.lab import processes
from lbtui.lab.plan import HostPlan
from lbtui.lab.system import tool_env
from lbtui.lab.tls import LabTls, ServerTls

START_TIMEOUT = 40.0
STOP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 3
"""Seconds dockerd gives containers to stop when it shuts down (Docker's default is 15)."""
LOG_TAIL_LINES = 25
#: Makes a lab engine start a swarm task from the image it already has. Without it the
#: engine first asks a registry for the image (none is reachable from the lab) and each
#: new task waits ~20 s for DNS timeouts in "preparing"; with it, about 2 s.
OFFLINE_IMAGES_ENV = {"DOCKER_SERVICE_PREFER_OFFLINE_IMAGE": "1"}


def dockerd_argv(host: HostPlan, tls: tuple[LabTls, ServerTls] | None) -> list[str]:
    """The command that starts the host's dockerd inside its network namespace."""
    argv = [
        # nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then fails.
        "nsenter",
        f"--net={host.netns_path}",
        "--",
        "dockerd",
        f"--host={host.socket_url}",
        f"--data-root={host.data_root}",
        f"--exec-root={host.exec_root}",
        f"--pidfile={host.pidfile}",
        f"--config-file={host.config_file}",
        f"--bip={host.bip}",
        "--iptables=true",
        f"--shutdown-timeout={SHUTDOWN_TIMEOUT}",
    ]
    if tls is not None:
        client, server = tls
        argv += [
            f"--host={host.tls_url}",
            "--tlsverify",
            f"--tlscacert={client.ca}",
            f"--tlscert={server.cert}",
            f"--tlskey={server.key}",
        ]
    return argv


def daemon_env() -> dict[str, str]:
    """The environment a lab dockerd runs with."""
    return {**tool_env(), **OFFLINE_IMAGES_ENV}


def daemon_config(host: HostPlan) -> dict[str, str]:
    """The host's daemon.json: its own identity key, so every host has its own engine ID."""
    return {"deprecated-key-path": str(host.key_file)}


def daemon_pid(host: HostPlan) -> int | None:
    """The PID of the host's running dockerd, per its pid file, if it is really ours."""
    pid = processes.read_pidfile(host.pidfile)
    if pid is None or not processes.alive(pid):
        return None
    return pid if processes.is_lab_daemon(processes.cmdline(pid), host.socket_path) else None


def ping(host: HostPlan, timeout: float = 2.0) -> bool:
    """True when the host's socket answers Docker's `_ping`."""
    if not host.socket_path.exists():
        return False
    transport = httpx.HTTPTransport(uds=str(host.socket_path))
    try:
        with httpx.Client(transport=transport, timeout=timeout) as client:
            return client.get("http://docker/_ping").text == "OK"
    except httpx.HTTPError:
        return False


def log_tail(host: HostPlan, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of the host's daemon log."""
    try:
        text = host.log_file.read_text(errors="replace")
    except OSError:
        return "(no daemon log)"
    return "\n".join(text.splitlines()[-lines:])


def start(host: HostPlan, tls: tuple[LabTls, ServerTls] | None) -> int:
    """Start the host's dockerd detached and wait until it answers; return its PID."""
    for path in (host.data_root, host.exec_root, host.log_file.parent, host.config_file.parent):
        path.mkdir(parents=True, exist_ok=True)
    host.config_file.write_text(json.dumps(daemon_config(host)))
    for stale in (host.socket_path, host.pidfile):
        stale.unlink(missing_ok=True)
    with host.log_file.open("ab") as log:
        log.write(f"--- lbtui: starting {host.name} at {time.ctime()}\n".encode())
        log.flush()
        process = subprocess.Popen(
            dockerd_argv(host, tls),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=daemon_env(),
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabError(
                f"dockerd of {host.name} exited with code {process.returncode} while starting; "
                f"the end of {host.log_file}:\n{log_tail(host)}"
            )
        if ping(host, timeout=1.0):
            return process.pid
        time.sleep(0.1)
    raise LabError(
        f"dockerd of {host.name} did not answer on {host.socket_url} within "
        f"{START_TIMEOUT:.0f} s; the end of {host.log_file}:\n{log_tail(host)}"
    )


def stop(pids: list[int], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the daemons, wait (bounded), then SIGKILL whichever remain."""
    processes.send(pids, signal.SIGTERM)
    left = processes.wait_gone(pids, timeout)
    if left:
        processes.send(left, signal.SIGKILL)
        processes.wait_gone(left, 5.0)


def remove_runtime_files(host: HostPlan) -> None:
    """Remove the host's stale socket and pid file."""
    for path in (host.socket_path, host.pidfile):
        Path(path).unlink(missing_ok=True)
