"""Shared by the HAProxy unit tests: the reference VIP, and a real HAProxy on loopback.

The real HAProxy runs in a private mount namespace whose /etc/hosts maps the
server names to 127.0.0.1, so the rendered config is used unchanged (server
`web1 web1:PORT`) without any Docker engine. Every process is started here and
stopped here, by PID, also when a test fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest

from lbtui.core.errors import RuntimeFailure
from lbtui.core.haproxy.config import EMPTY_SERVER_STATE, RenderOptions, render_config
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.topology.model import Backend, PoolMember, StatsPage, Topology, Vip

HAPROXY = "/usr/sbin/haproxy"
T = TypeVar("T")


def reference_topology(ports: tuple[int, int] = (80, 80)) -> Topology:
    """The reference topology (docs/recipe.md), with the backends' ports adjustable."""
    backends = {
        "web1": Backend("web1", "docker2", "lbtui/web:lab", "presentation_backend", ports[0]),
        "web2": Backend("web2", "docker3", "lbtui/web:lab", "presentation_backend", ports[1]),
    }
    vip = reference_vip()
    return Topology(
        name="presentation", hosts={}, networks={}, backends=backends, vips={vip.name: vip}
    )


def reference_vip(**changes: object) -> Vip:
    """The recipe's VIP; keyword arguments replace fields."""
    vip = Vip(
        name="presentation",
        host="docker1",
        container="haproxy",
        image="lbtui/haproxy:lab",
        network="presentation_backend",
        publish=80,
        servers=(PoolMember("web1"), PoolMember("web2")),
        connect_bridge=True,
        backend_name="pres_containers",
        stats=StatsPage(uri="/lbstats", user="user", password_env="LBTUI_STATS_PASSWORD"),
    )
    return replace(vip, **changes)  # type: ignore[arg-type]


def require_root_tools() -> None:
    """Skip unless this runs as root with haproxy, busybox and unshare available."""
    if os.geteuid() != 0:
        pytest.skip("needs root (a private mount namespace for /etc/hosts)")
    for tool in (HAPROXY, "busybox", "unshare"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")


def hosts_file(directory: Path, names: list[str]) -> Path:
    """A hosts file mapping localhost and `names` to 127.0.0.1."""
    path = directory / "hosts"
    path.write_text("127.0.0.1 localhost " + " ".join(names) + "\n", encoding="utf-8")
    return path


def with_hosts(hosts: Path, argv: list[str]) -> list[str]:
    """`argv` run in a private mount namespace where /etc/hosts is `hosts`."""
    quoted = " ".join(_sh_quote(a) for a in argv)
    script = f"mount --bind {_sh_quote(str(hosts))} /etc/hosts && exec {quoted}"
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


def haproxy_check(config: str, directory: Path, names: list[str]) -> tuple[str, int]:
    """Run the real `haproxy -c` on `config` where `names` resolve; (output, exit code)."""
    cfg = directory / "haproxy.cfg"
    cfg.write_text(config, encoding="utf-8")
    argv = with_hosts(hosts_file(directory, names), [HAPROXY, "-c", "-f", str(cfg)])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    return done.stdout + done.stderr, done.returncode


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 15.0) -> T:
    """Poll `probe` until it returns something other than None, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, ValueError) as exc:
            last_error = exc
            value = None
        if value is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error})"
    )


def send_command(socket_path: str, command: str, timeout: float = 5.0) -> str:
    """Send one command line to a local runtime API unix socket; the full answer.

    Only the tests talk to a socket on this machine; lbtui reaches the socket inside
    an LB container through `control.channel`.
    """
    chunks: list[bytes] = []
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(socket_path)
            conn.sendall(command.encode("utf-8") + b"\n")
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise RuntimeFailure(f"cannot use HAProxy runtime socket {socket_path}: {exc}") from exc
    return b"".join(chunks).decode("utf-8", errors="replace")


@dataclass
class LocalLb:
    """A real HAProxy on loopback running a config from `render_config`."""

    topology: Topology
    vip: Vip
    credentials: StatsCredentials
    options: RenderOptions
    config: str
    frontend_url: str
    stats_url: str
    socket_path: Path
    state_path: Path
    config_path: Path
    hosts_path: Path
    """The /etc/hosts HAProxy sees; rewrite it in place to move a server name."""
    directory: Path
    backends: dict[str, subprocess.Popen[bytes]]
    """The httpd of each server; stop one with stop_process() to take it away."""
    pid: int


@contextmanager
def local_lb(
    directory: Path,
    credentials: StatsCredentials | None = None,
    weights: tuple[int, int] = (1, 1),
    nameserver: str | None = None,
) -> Iterator[LocalLb]:
    """Two busybox httpd backends and an HAProxy in front of them, all on 127.0.0.1.

    `nameserver` ("ip:port") renders the `resolvers` section pointing at it.
    """
    require_root_tools()
    directory.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen[bytes]] = []
    backends: dict[str, subprocess.Popen[bytes]] = {}
    try:
        ports = (free_port(), free_port())
        for name, port in zip(("web1", "web2"), ports, strict=True):
            backends[name] = start_httpd(directory, name, "127.0.0.1", port)
            started.append(backends[name])
        for port in ports:
            wait_for(f"httpd on port {port}", partial(listening, port))
        frontend_port = free_port()
        vip = reference_vip(
            frontend_port=frontend_port,
            servers=(PoolMember("web1", weights[0]), PoolMember("web2", weights[1])),
        )
        topology = replace(reference_topology(ports), vips={vip.name: vip})
        creds = credentials or StatsCredentials("user", "s3cret")
        options = RenderOptions(
            runtime_socket=str(directory / "haproxy.sock"),
            runtime_tcp_port=free_port(),
            server_state_file=str(directory / "server-state"),
            dns_nameserver=nameserver,
            bind_address="127.0.0.1",
        )
        (directory / "server-state").write_text(EMPTY_SERVER_STATE, encoding="utf-8")
        config = render_config(topology, vip, creds, options)
        cfg = directory / "haproxy.cfg"
        cfg.write_text(config, encoding="utf-8")
        hosts = hosts_file(directory, ["web1", "web2"])
        argv = with_hosts(hosts, [HAPROXY, "-W", "-db", "-f", str(cfg)])
        lb = _spawn(argv, directory / "haproxy.log")
        started.append(lb)
        wait_for("the HAProxy frontend", lambda: listening(frontend_port))
        wait_for(
            "the runtime socket", lambda: True if (directory / "haproxy.sock").exists() else None
        )
        yield LocalLb(
            topology=topology,
            vip=vip,
            credentials=creds,
            options=options,
            config=config,
            frontend_url=f"http://127.0.0.1:{frontend_port}/",
            stats_url=f"http://127.0.0.1:{frontend_port}{vip.stats.uri}",
            socket_path=directory / "haproxy.sock",
            state_path=directory / "server-state",
            config_path=cfg,
            hosts_path=hosts,
            directory=directory,
            backends=backends,
            pid=lb.pid,
        )
    finally:
        for process in reversed(started):
            _stop(process)


def start_httpd(directory: Path, name: str, address: str, port: int) -> subprocess.Popen[bytes]:
    """A busybox httpd on address:port whose page says `served by <name>`; stop it yourself."""
    root = directory / f"www-{name}-{address}-{port}"
    root.mkdir(parents=True)
    (root / "index.html").write_text(f"served by {name}\n", encoding="utf-8")
    argv = ["busybox", "httpd", "-f", "-p", f"{address}:{port}", "-h", str(root)]
    return _spawn(argv, root.with_suffix(".log"))


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this test module started (by its PID), and reap it."""
    _stop(process)


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def listening(port: int, address: str = "127.0.0.1") -> bool | None:
    """True if something accepts TCP connections at address:port, else None (for wait_for)."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return True if probe.connect_ex((address, port)) == 0 else None


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"
