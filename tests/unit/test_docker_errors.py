"""Docker errors in words: real sockets and ports that fail, driven through the real SDK client.

No engine is needed: each test makes the failure itself (a missing socket, a socket file
nobody listens on, a closed port, a silent listener, a peer that does not speak TLS) and
checks the reason lbtui gives, the one the hosts pane and the CLI show.
"""

from __future__ import annotations

import http.server
import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
import requests.exceptions

from lbtui.core.docker import connect
from lbtui.core.docker.control import ContainerControl
from lbtui.core.docker.errors import translate
from lbtui.core.docker.exec import exec_in
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import ActionFailed, HostUnreachable
from lbtui.core.topology.model import Host, TlsFiles, Topology

#: Seconds a test server waits for its client before it gives up.
SERVER_WAIT_S = 10.0


def _unreachable(host: Host) -> HostUnreachable:
    with DockerHosts(Topology("t", {host.name: host}, {}, {}, {})) as hosts:
        with pytest.raises(HostUnreachable) as raised:
            hosts.require_reachable([host.name])
        snapshot = hosts.snapshot_host(host.name)
    assert (raised.value.host, raised.value.url) == (host.name, host.url)
    assert not snapshot.reachable and snapshot.error == raised.value.reason
    assert "(" not in raised.value.reason.split(" ")[0], "no exception tuple"
    return raised.value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_missing_socket_says_so(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    error = _unreachable(Host("docker9", f"unix://{path}"))
    assert error.reason == f"no Docker socket at {path} (socket missing: is the daemon running?)"


def test_a_socket_file_nobody_listens_on_is_connection_refused(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    # What a killed daemon leaves behind: the file exists, nothing accepts on it.
    with socket.socket(socket.AF_UNIX) as left_behind:
        left_behind.bind(str(path))
        error = _unreachable(Host("docker9", f"unix://{path}"))
    assert error.reason.startswith(f"nothing listens on {path} (connection refused")


def test_a_closed_tcp_port_is_connection_refused() -> None:
    port = _free_port()
    error = _unreachable(Host("docker9", f"tcp://127.0.0.1:{port}", insecure=True))
    assert error.reason == (
        f"connection refused at 127.0.0.1:{port} (is the daemon running and listening there?)"
    )


def test_a_listener_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connect, "PING_TIMEOUT_S", 0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        error = _unreachable(Host("docker9", f"tcp://127.0.0.1:{port}", insecure=True))
    assert error.reason == (
        f"no answer from 127.0.0.1:{port} within 0.3 s (the daemon is hung, or the host is down)"
    )


@pytest.fixture
def plain_http_server() -> Iterator[int]:
    """A TCP port that answers every connection in plain HTTP, as a non-TLS daemon would."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(SERVER_WAIT_S)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except OSError:
                return
            with peer:
                peer.recv(4096)
                peer.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
    server.close()
    thread.join(timeout=SERVER_WAIT_S)


def test_a_peer_that_does_not_speak_tls_is_a_tls_failure(
    tmp_path: Path, plain_http_server: int
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-subj", "/CN=lbtui-test", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    url = f"tcp://127.0.0.1:{plain_http_server}"
    error = _unreachable(Host("docker9", url, tls=TlsFiles(cert, cert, key)))
    assert error.reason.startswith("TLS handshake failed: ")
    assert error.reason.endswith("(does the daemon speak TLS on that port?)")


def test_a_daemon_gone_under_an_open_client_is_explained(tmp_path: Path) -> None:
    # The hosts pane's case: the gateway's client was made while the daemon ran, and the
    # daemon stopped since. Its next call fails inside requests, not in the ping.
    path = tmp_path / "docker.sock"
    host = Host("docker9", f"unix://{path}")
    client = docker.APIClient(base_url=host.url, version="1.41", timeout=5)
    try:
        with pytest.raises(requests.exceptions.ConnectionError) as raised:
            client.info()
    finally:
        client.close()
    assert "FileNotFoundError" in str(raised.value)  # what the pane used to show
    translated = translate(raised.value, host, "read the state")
    assert isinstance(translated, HostUnreachable)
    assert translated.reason.startswith(f"no Docker socket at {path}")


def _closing_unix_server(path: Path) -> tuple[socket.socket, threading.Thread]:
    """A unix socket that accepts one connection and closes it at once, unanswered."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)

    def close_one() -> None:
        connection, _ = server.accept()
        connection.close()

    thread = threading.Thread(target=close_one, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize("socket_left", [True, False])
def test_a_connection_closed_by_a_stopping_daemon_names_the_missing_socket(
    tmp_path: Path, socket_left: bool
) -> None:
    # A daemon stopping mid-request closes the connection, and then removes its socket:
    # once the file is gone, that is what the user is told, not "closed the connection".
    path = tmp_path / "docker.sock"
    host = Host("docker9", f"unix://{path}")
    server, thread = _closing_unix_server(path)
    client = docker.APIClient(base_url=host.url, version="1.41", timeout=5)
    try:
        with pytest.raises(requests.exceptions.ConnectionError) as raised:
            client.info()
    finally:
        client.close()
        thread.join(5)
        server.close()
    if not socket_left:
        path.unlink()
    reason = _translated_reason(raised.value, host)
    if socket_left:
        assert reason.startswith(f"{path} closed the connection"), reason
    else:
        assert reason == f"no Docker socket at {path} (socket missing: is the daemon running?)"


def _translated_reason(error: Exception, host: Host) -> str:
    translated = translate(error, host, "read the state")
    assert isinstance(translated, HostUnreachable)
    return translated.reason


def test_control_and_exec_give_the_same_reason(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    host = Host("docker9", f"unix://{path}")
    with DockerHosts(Topology("t", {host.name: host}, {}, {}, {})) as hosts:
        with pytest.raises(HostUnreachable) as stopped:
            ContainerControl(hosts).stop("docker9", "web1")
        with pytest.raises(HostUnreachable) as executed:
            exec_in(hosts, "docker9", "web1", ["true"])
    expected = f"no Docker socket at {path} (socket missing: is the daemon running?)"
    assert stopped.value.reason == executed.value.reason == expected


def test_a_refusal_from_the_daemon_is_an_action_failure() -> None:
    response = docker.errors.NotFound("404 Client Error", explanation="No such container: web1")
    failed = translate(response, Host("docker9", "unix:///x.sock"), "stop container web1")
    assert isinstance(failed, ActionFailed)
    assert str(failed) == "could not stop container web1 on docker9: No such container: web1"


PERMISSION_PROBE = """
import sys
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import HostUnreachable
from lbtui.core.topology.model import Host, Topology
host = Host("docker9", sys.argv[1])
with DockerHosts(Topology("t", {"docker9": host}, {}, {}, {})) as hosts:
    try:
        hosts.require_reachable(["docker9"])
    except HostUnreachable as error:
        print(error.reason)
"""


def test_a_socket_the_user_may_not_open_is_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen()
        path.chmod(0o600)
        # Root may open any socket: the probe runs as `nobody` then (as a docker-less user).
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        prefix = drop if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, sys.executable, "-c", PERMISSION_PROBE, f"unix://{path}"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        )
    assert result.stdout.strip() == (
        f"permission denied on {path} (run lbtui as root or as a member of the "
        "socket's group, e.g. docker)"
    ), result.stderr


class _CountingDaemon(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Answers `/version` and `/_ping` like an engine, counting each path it was asked."""

    daemon_threads = True

    def __init__(self, path: Path) -> None:
        self.asked: list[str] = []
        super().__init__(str(path), _CountingHandler)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0].rsplit("/", 1)[-1]
        assert isinstance(self.server, _CountingDaemon)
        self.server.asked.append(path)
        body = b'{"ApiVersion": "1.41", "Version": "20.10"}' if path == "version" else b"OK"
        self.send_response(200)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, *_args: object) -> None:
        """Quiet."""


def test_a_known_host_is_checked_with_ping_and_a_gone_one_is_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    daemon = _CountingDaemon(path)
    serving = threading.Thread(target=daemon.serve_forever, daemon=True)
    serving.start()
    host = Host("docker9", f"unix://{path}")
    with DockerHosts(Topology("t", {host.name: host}, {}, {}, {})) as hosts:
        try:
            for _ in range(3):
                hosts.require_reachable([host.name])
            # /version once, for the API version; after that the cheap /_ping.
            assert daemon.asked == ["version", "_ping", "_ping"]
        finally:
            daemon.shutdown()
            daemon.server_close()
            path.unlink()
        with pytest.raises(HostUnreachable, match="no Docker socket at"):
            hosts.require_reachable([host.name])
