"""The bare-socket GET of fresh-connection traffic, against real loopback sockets that answer
with the exact bytes each case needs (what the request looked like is checked too)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from lbtui.core.traffic import http1
from lbtui.core.traffic.outcome import ErrorKind, classify_exception
from tests.unit._traffic_servers import free_port


@contextmanager
def answering(*replies: bytes, pause_s: float = 0.0, close: bool = True) -> Iterator[list[bytes]]:
    """A loopback listener that, per connection, reads the request then sends `replies` (with
    `pause_s` between them) and closes. Yields the requests it read."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    port = listener.getsockname()[1]
    requests: list[bytes] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(4096)
                if not data:
                    break
                request += data
            requests.append(request)
            for reply in replies:
                conn.sendall(reply)
                time.sleep(pause_s)
            if not close:
                time.sleep(1.0)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        requests.append(f"http://127.0.0.1:{port}/page?x=1".encode())
        yield requests
    finally:
        listener.close()
        thread.join(5)


def _get(requests: list[bytes], timeout_s: float = 2.0) -> http1.Answer:
    return http1.get(http1.Target.of(requests[0].decode()), timeout_s)


def test_a_content_length_answer_and_the_request_sent() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Served-By: web2\r\n\r\nhello world"
    with answering(reply) as requests:
        answer = _get(requests)
    assert (answer.status, answer.body) == (200, b"hello world")
    assert answer.headers["x-served-by"] == "web2"
    sent = requests[1].decode()
    assert sent.startswith("GET /page?x=1 HTTP/1.1\r\n")
    assert f"Host: {requests[0].decode().split('/')[2]}\r\n" in sent
    assert "Connection: close\r\n" in sent


def test_a_chunked_answer_split_across_writes() -> None:
    parts = (b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", b"lo\r\n")
    with answering(*parts, b"6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n", pause_s=0.02) as req:
        answer = _get(req)
    assert (answer.status, answer.body) == (503, b"hello world")


def test_a_body_without_length_runs_to_the_close() -> None:
    with answering(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n<h1>served by ", b"bb1</h1>") as req:
        answer = _get(req)
    assert answer.body == b"<h1>served by bb1</h1>"


def test_an_interim_100_is_skipped_and_204_has_no_body() -> None:
    with answering(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n") as req:
        answer = _get(req)
    assert (answer.status, answer.body) == (204, b"")


@pytest.mark.parametrize(
    ("replies", "message"),
    [
        ((), "without sending a response"),
        ((b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",), "expected 10"),
        ((b"HTTP/1.1 200 OK\r\nContent-Le",), "in the head"),
        ((b"SSH-2.0-OpenSSH\r\n\r\n",), "malformed status line"),
        ((b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",), "bad chunk size"),
    ],
)
def test_broken_answers_are_protocol_errors_like_httpx(
    replies: tuple[bytes, ...], message: str
) -> None:
    with answering(*replies) as requests, pytest.raises(httpx.RemoteProtocolError) as caught:
        _get(requests)
    assert message in str(caught.value)
    assert classify_exception(caught.value) is ErrorKind.RESET


def test_refused_is_a_connect_error_classified_refused() -> None:
    target = http1.Target.of(f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(httpx.ConnectError) as caught:
        http1.get(target, 2.0)
    assert classify_exception(caught.value) is ErrorKind.REFUSED


def test_connect_retries_wait_and_give_up() -> None:
    target = http1.Target.of(f"http://127.0.0.1:{free_port()}/")
    started = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        http1.get(target, 2.0, connect_retries=2)
    assert 0.45 < time.monotonic() - started < 2.0  # again at once, then after 0.5 s


def test_a_silent_server_is_a_read_timeout() -> None:
    silent = answering(b"HTTP/1.1 200 OK\r\n", close=False)
    with silent as requests, pytest.raises(httpx.ReadTimeout) as caught:
        _get(requests, timeout_s=0.2)
    assert classify_exception(caught.value) is ErrorKind.TIMEOUT


def test_only_http_urls_take_this_path() -> None:
    with pytest.raises(ValueError, match="only http://"):
        http1.Target.of("https://127.0.0.1/")
