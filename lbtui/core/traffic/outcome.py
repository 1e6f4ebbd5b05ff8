"""One request's outcome, and the kinds of failure a load test tells apart.

Kinds, from what the client saw: `refused` (the connection was refused), `reset` (the peer
closed or reset the connection before a whole answer), `timeout` (connect, read, write or pool
timeout), `5xx` (an answer with a server-error status), `other` (any other failure, 4xx and
redirects included). The exception's class name stays as the detail.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import StrEnum

import httpx


class ErrorKind(StrEnum):
    """How a request failed."""

    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    SERVER_ERROR = "5xx"
    OTHER = "other"


_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


def _errnos(error: BaseException) -> set[int]:
    """The OS error numbers anywhere in the exception's cause/context chain."""
    found: set[int] = set()
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            found.add(current.errno)
        current = current.__cause__ or current.__context__
    return found


def classify_exception(error: httpx.HTTPError) -> ErrorKind:
    """The kind of a request that got no HTTP answer."""
    if isinstance(error, httpx.TimeoutException):
        return ErrorKind.TIMEOUT
    numbers = _errnos(error)
    text = str(error)
    if errno.ECONNREFUSED in numbers or "Connection refused" in text:
        return ErrorKind.REFUSED
    if numbers & _RESET_ERRNOS or "reset by peer" in text:
        return ErrorKind.RESET
    # httpx reports a peer that hung up mid-answer without an errno.
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return ErrorKind.RESET
    return ErrorKind.OTHER


def classify_status(status: int) -> ErrorKind | None:
    """The kind of an HTTP answer: None for 2xx, `5xx` for server errors, else `other`."""
    if 200 <= status < 300:
        return None
    return ErrorKind.SERVER_ERROR if status >= 500 else ErrorKind.OTHER


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished request, as the tally, the window and the recorder see it."""

    sent_at: float
    """When the request was sent, wall clock (seconds since the epoch)."""
    latency_s: float
    """Seconds from sending to the answer, or to the failure."""
    server: str | None = None
    """The server named by the answer; None when there was no answer or it named none."""
    status: int | None = None
    """The HTTP status; None when there was no answer."""
    error: ErrorKind | None = None
    """None for a 2xx answer."""
    detail: str | None = None
    """`http <status>` or the exception's class name, for failures."""

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.error is None

    @property
    def answered(self) -> bool:
        """True when an HTTP answer came back (any status)."""
        return self.status is not None

    def as_record(self) -> dict[str, object]:
        """The JSON line `--record` writes for this request."""
        return {
            "time": round(self.sent_at, 6),
            "server": self.server,
            "status": self.status,
            "latency_ms": round(self.latency_s * 1000, 3),
            "error": None if self.error is None else str(self.error),
            "detail": self.detail,
        }


def answered(sent_at: float, latency_s: float, status: int, server: str | None) -> Outcome:
    """The outcome of a request that got an HTTP answer."""
    kind = classify_status(status)
    return Outcome(
        sent_at=sent_at,
        latency_s=latency_s,
        server=server,
        status=status,
        error=kind,
        detail=None if kind is None else f"http {status}",
    )


def failed(sent_at: float, latency_s: float, error: httpx.HTTPError) -> Outcome:
    """The outcome of a request that got no HTTP answer."""
    return Outcome(
        sent_at=sent_at,
        latency_s=latency_s,
        error=classify_exception(error),
        detail=type(error).__name__,
    )
