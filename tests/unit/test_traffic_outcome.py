"""Failures classified from what httpx really raises against local sockets."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import httpx
import pytest

from lbtui.core.traffic.outcome import (
    ErrorKind,
    answered,
    classify_exception,
    classify_status,
    failed,
)
from tests.unit._traffic_servers import faulty_http_server, free_port


def _raised(url: str, timeout: float = 2.0) -> httpx.HTTPError:
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        try:
            client.get(url)
        except httpx.HTTPError as error:
            return error
    raise AssertionError(f"{url} answered")


@pytest.fixture
def resetting_port() -> Iterator[int]:
    """A listener that answers every connection with a TCP reset (SO_LINGER 0, then close)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.recv(1024)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_closed_port_is_refused() -> None:
    assert classify_exception(_raised(f"http://127.0.0.1:{free_port()}/")) == ErrorKind.REFUSED


def test_a_tcp_reset_is_reset(resetting_port: int) -> None:
    assert classify_exception(_raised(f"http://127.0.0.1:{resetting_port}/")) == ErrorKind.RESET


def test_a_hang_up_without_an_answer_is_reset() -> None:
    with faulty_http_server() as (url, _):
        assert classify_exception(_raised(url + "/close")) == ErrorKind.RESET


def test_a_slow_answer_is_a_timeout() -> None:
    with faulty_http_server() as (url, _):
        assert classify_exception(_raised(url + "/slow", timeout=0.1)) == ErrorKind.TIMEOUT


def test_anything_else_is_other() -> None:
    assert classify_exception(_raised("ftp://127.0.0.1/")) == ErrorKind.OTHER


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, None),
        (204, None),
        (301, ErrorKind.OTHER),
        (404, ErrorKind.OTHER),
        (500, ErrorKind.SERVER_ERROR),
        (503, ErrorKind.SERVER_ERROR),
    ],
)
def test_statuses(status: int, kind: ErrorKind | None) -> None:
    assert classify_status(status) == kind


def test_the_record_line_of_an_answer_and_of_a_failure() -> None:
    good = answered(1700000000.1234567, 0.0021234, 200, "web1")
    assert good.as_record() == {
        "time": 1700000000.123457,
        "server": "web1",
        "status": 200,
        "latency_ms": 2.123,
        "error": None,
        "detail": None,
    }
    bad = failed(1700000000.0, 1.5, httpx.ConnectError("[Errno 111] Connection refused"))
    assert bad.as_record()["error"] == "refused"
    assert bad.as_record()["detail"] == "ConnectError"
    assert bad.as_record()["status"] is None and not bad.ok and not bad.answered
    assert answered(0.0, 0.1, 502, "web2").as_record()["error"] == "5xx"
