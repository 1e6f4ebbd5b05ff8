"""One HTTP/1.1 GET over a connection of its own, on a bare socket: the fresh-connection mode's
request path.

Measured on loopback, httpx (with httpcore and h11) spends ~0.6 ms of CPU in Python on each
fresh-connection GET; at 1000 requests/s that is most of a core, and the GIL then holds the
workers back. This path does what that mode needs and no more: connect, send one request with
`Connection: close`, read the status line, the headers and the body (by Content-Length,
chunked, or up to the server's close), close. Failures are raised as the httpx exceptions the
same failure raises there (`ConnectError`, `ConnectTimeout`, `ReadTimeout`, `ReadError`,
`WriteError`, `RemoteProtocolError`, with the OS error as their cause), so a failed request is
classified and named alike on either path. Connect retries follow httpx's transport: again at
once, then after 0.5 s, 1 s, 2 s ...
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

_READ_SIZE = 65536
#: Headers beyond this many bytes make the answer malformed (a runaway server, not a page).
_MAX_HEAD = 65536
_RETRY_BACKOFF_S = 0.5


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: its status, its headers (names in lower case) and its whole body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Target:
    """Where the GET goes, and its request bytes (made once per run)."""

    host: str
    port: int
    request: bytes

    @classmethod
    def of(cls, url: str) -> Target:
        """An http:// URL's target (https stays with httpx)."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{url!r}: only http:// URLs take the bare-socket path")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host = parts.netloc.rpartition("@")[2]
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lbtui\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        return cls(parts.hostname, parts.port or 80, request)


def get(target: Target, timeout_s: float, connect_retries: int = 0) -> Answer:
    """GET on a new connection, closed afterwards; raises httpx exceptions on failure."""
    sock = _connect(target, timeout_s, connect_retries)
    try:
        try:
            sock.sendall(target.request)
        except TimeoutError as error:
            raise httpx.WriteTimeout(str(error) or "timed out") from error
        except OSError as error:
            raise httpx.WriteError(str(error)) from error
        return _Reader(sock).answer()
    finally:
        sock.close()


def _connect(target: Target, timeout_s: float, retries: int) -> socket.socket:
    for attempt in range(retries + 1):
        try:
            return socket.create_connection((target.host, target.port), timeout=timeout_s)
        except TimeoutError as error:
            failure: httpx.HTTPError = httpx.ConnectTimeout(str(error) or "timed out")
            cause: OSError = error
        except OSError as error:
            failure, cause = httpx.ConnectError(str(error)), error
        if attempt == retries:
            raise failure from cause
        if attempt:
            time.sleep(_RETRY_BACKOFF_S * 2 ** (attempt - 1))
    raise AssertionError("unreachable: the last attempt returns or raises")


class _Reader:
    """Reads one answer off a socket, buffering what came past the part asked for."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._closed = False

    def _fill(self) -> bool:
        """Read more; False when the server has closed."""
        if self._closed:
            return False
        try:
            data = self._sock.recv(_READ_SIZE)
        except TimeoutError as error:
            raise httpx.ReadTimeout(str(error) or "timed out") from error
        except OSError as error:
            raise httpx.ReadError(str(error)) from error
        if not data:
            self._closed = True
            return False
        self._buffer += data
        return True

    def _until(self, marker: bytes, limit: int, what: str) -> bytes:
        """The bytes up to `marker` (consumed with it)."""
        while (end := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit:
                raise httpx.RemoteProtocolError(f"{what} longer than {limit} bytes")
            if not self._fill():
                if not self._buffer and what == "head":
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
                raise httpx.RemoteProtocolError(f"peer closed connection in the {what}")
        part = bytes(self._buffer[:end])
        del self._buffer[: end + len(marker)]
        return part

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body: "
                    f"received {len(self._buffer)} bytes, expected {size}"
                )
        part = bytes(self._buffer[:size])
        del self._buffer[:size]
        return part

    def answer(self) -> Answer:
        while True:
            status, headers = self._head()
            if not 100 <= status < 200 or status == 101:
                break  # an interim answer (100 Continue) is followed by the real one
        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        elif (length := headers.get("content-length")) is not None:
            if not length.strip().isdigit():
                raise httpx.RemoteProtocolError(f"bad Content-Length {length!r}")
            body = self._exactly(int(length))
        else:
            while self._fill():
                pass
            body = bytes(self._buffer)
        return Answer(status, headers, body)

    def _head(self) -> tuple[int, dict[str, str]]:
        head = self._until(b"\r\n\r\n", _MAX_HEAD, "head").decode("latin-1")
        status_line, *lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise httpx.RemoteProtocolError(f"malformed status line {status_line[:80]!r}")
        headers: dict[str, str] = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise httpx.RemoteProtocolError(f"malformed header line {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        return int(code), headers

    def _chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self._until(b"\r\n", 1024, "chunk size").split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise httpx.RemoteProtocolError(f"bad chunk size {size_line[:20]!r}") from None
            if size == 0:
                while self._until(b"\r\n", _MAX_HEAD, "trailer"):
                    pass  # trailers, up to the empty line
                return bytes(body)
            body += self._exactly(size)
            self._exactly(2)  # the CRLF after the chunk
