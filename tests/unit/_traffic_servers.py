"""Local HTTP servers for the traffic tests: a tiny faulty HTTP/1.1 server on loopback.

`/` names a server in `X-Served-By` (alternating srv1/srv2 like round-robin), `/error` answers
500, `/close` hangs up without answering, `/slow` answers after 0.5 s, `/hang` after 3 s.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_listening(port: int, deadline_s: float = 5.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {deadline_s} s")


class Recorder:
    """What the faulty server saw: one entry per client connection (its source port)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.client_ports: set[int] = set()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client asks otherwise
    recorder: Recorder
    served = 0

    def do_GET(self) -> None:
        with self.recorder.lock:
            self.recorder.client_ports.add(self.client_address[1])
            _Handler.served += 1
            turn = _Handler.served
        if self.path == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path == "/error":
            self._answer(500, "boom")
            return
        if self.path == "/slow":
            time.sleep(0.5)
        if self.path == "/hang":
            time.sleep(3.0)
        # Alternates like a round-robin LB, naming the server in the header.
        self._answer(200, "ok", server=f"srv{turn % 2 + 1}")

    def _answer(self, status: int, body: str, server: str | None = None) -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        if server is not None:
            self.send_header("X-Served-By", server)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request log."""


class _QuietServer(ThreadingHTTPServer):
    """Expects clients to hang up on `/slow` (their timeout); anything else is reported."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def faulty_http_server() -> Iterator[tuple[str, Recorder]]:
    """The server on a free loopback port: its base URL and what it saw."""
    recorder = Recorder()
    handler = type("Handler", (_Handler,), {"recorder": recorder})
    server = _QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
