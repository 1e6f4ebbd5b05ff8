"""The one translator from the docker SDK's, requests' and the OS's errors to lbtui's.

    the daemon answered and said no (APIError)   -> ActionFailed "could not <what> on <host>: ..."
    it was not reached or did not answer         -> HostUnreachable, with the reason in words:
        socket file missing       "no Docker socket at /run/x.sock (socket missing: ...)"
        socket file, no listener  "nothing listens on /run/x.sock (connection refused: ...)"
        TCP port closed           "connection refused at 10.0.0.2:2376 (...)"
        permission denied         "permission denied on /run/x.sock (...)"
        TLS                       "TLS handshake failed: <the TLS library's reason> (...)"
        no answer in time         "no answer from 10.0.0.2:2376 within 5 s (...)"

The SDK reports a lost connection as requests' ConnectionError whose text is a
tuple such as `('Connection aborted.', FileNotFoundError(2, ...))`: the cause is
found by walking the chain of exceptions, never by showing that text.
"""

from __future__ import annotations

import errno
import http.client
import os
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import docker.errors
import requests.exceptions
import urllib3.exceptions

from lbtui.core.errors import ActionFailed, HostUnreachable, LbtuiError
from lbtui.core.topology.model import Host

#: Everything the SDK, requests, urllib3 or a socket raise when talking to a daemon.
DOCKER_ERRORS: tuple[type[Exception], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)

_TIMEOUTS: tuple[type[BaseException], ...] = (
    requests.exceptions.Timeout,
    urllib3.exceptions.ReadTimeoutError,
    TimeoutError,
    socket.timeout,
)
_TIMEOUT_VALUE = re.compile(r"(?:read|connect) timeout=([0-9.]+)")
#: errnos of a connection the peer closed or reset.
_CLOSED = (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE)
_SSL_LOCATION = re.compile(r"\s*\(_ssl\.c:\d+\)$")


@contextmanager
def translated(host: Host, what: str) -> Iterator[None]:
    """Run a block of SDK calls for `what` on `host`; its SDK errors leave as lbtui's."""
    try:
        yield
    except DOCKER_ERRORS as error:
        raise translate(error, host, what) from error


def translate(error: Exception, host: Host, what: str) -> LbtuiError:
    """lbtui's error for an SDK, requests or OS error met while trying to `what` on `host`."""
    if isinstance(error, docker.errors.APIError):
        detail = error.explanation or str(error)
        return ActionFailed(f"could not {what} on {host.name}: {_one_line(str(detail))}")
    return unreachable(host, error)


def unreachable(host: Host, error: BaseException) -> HostUnreachable:
    """HostUnreachable naming the host, its URL and, in words, why it did not answer."""
    return HostUnreachable(host.name, host.url, reason(error, host.url))


def is_timeout(error: BaseException) -> bool:
    """True when the daemon took too long (as opposed to refusing or vanishing)."""
    # urllib3's NewConnectionError is a ConnectTimeoutError by class, yet means "refused".
    if any(isinstance(cause, OSError) and cause.errno for cause in _chain(error)):
        return False
    return any(isinstance(cause, _TIMEOUTS) for cause in _chain(error))


def reason(error: BaseException, url: str) -> str:
    """Why a daemon at `url` did not answer, in words (no exception tuples)."""
    causes = _chain(error)
    where = _where(url)
    tls = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
    if tls is not None:
        return _tls_reason(tls)
    code = next((c.errno for c in causes if isinstance(c, OSError) and c.errno), None)
    if code in (None, *_CLOSED) and url.startswith("unix://") and _socket_gone(where):
        # A daemon that stopped while a connection was open shows first as a closed or
        # reset connection; its socket file being gone is the better explanation.
        return f"no Docker socket at {where} (socket missing: is the daemon running?)"
    if code is not None and (text := _errno_reason(code, url, where)):
        return text
    if any(isinstance(cause, http.client.RemoteDisconnected) for cause in causes):
        return _closed(where)
    if is_timeout(error):
        seconds = _TIMEOUT_VALUE.search(" ".join(str(c) for c in causes))
        within = f"within {float(seconds.group(1)):g} s" if seconds else "in time"
        return f"no answer from {where} {within} (the daemon is hung, or the host is down)"
    if isinstance(error, docker.errors.APIError):
        return f"{where} answered {error.status_code}: {_one_line(str(error.explanation or error))}"
    gai = next((c for c in causes if isinstance(c, socket.gaierror)), None)
    if gai is not None:
        return f"cannot resolve {urlsplit(url).hostname} ({gai.strerror})"
    return _deepest_text(causes)


def _errno_reason(code: int, url: str, where: str) -> str | None:
    unix = url.startswith("unix://")
    if code == errno.ENOENT:
        if url.startswith("ssh://"):
            return "no `ssh` client on PATH (Debian: apt install openssh-client)"
        if unix:
            return f"no Docker socket at {where} (socket missing: is the daemon running?)"
    if code == errno.ECONNREFUSED:
        if unix:
            return (
                f"nothing listens on {where} (connection refused: the socket file is left "
                "but no daemon is running)"
            )
        return f"connection refused at {where} (is the daemon running and listening there?)"
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {where} (run lbtui as root or as a member of the "
            "socket's group, e.g. docker)"
        )
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"no route to {where} (is the host up and on this network?)"
    if code in _CLOSED:
        return _closed(where)
    if code == errno.ETIMEDOUT:
        return f"no answer from {where} (connection timed out: is the host up?)"
    return None


def _closed(where: str) -> str:
    return f"{where} closed the connection (is it a Docker engine, and still running?)"


def _socket_gone(path: str) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # not ours to see (permissions): say nothing about it
    return False


def _tls_reason(error: ssl.SSLError) -> str:
    detail = _SSL_LOCATION.sub("", str(error.args[1]) if len(error.args) > 1 else str(error))
    if isinstance(error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in detail:
        hint = "the daemon's certificate is not signed by the topology's `tls.ca`"
    elif "BAD_CERTIFICATE" in detail or "CERTIFICATE_REQUIRED" in detail:
        hint = "the daemon refused the client certificate `tls.cert`"
    else:
        hint = "does the daemon speak TLS on that port?"
    return f"TLS handshake failed: {detail} ({hint})"


def _where(url: str) -> str:
    if url.startswith("unix://"):
        return url.removeprefix("unix://")
    parts = urlsplit(url)
    return parts.netloc or url


def _chain(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps: causes, contexts, urllib3's `reason`, arguments."""
    seen: list[BaseException] = [error]
    for current in seen:
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked.extend(current.args)
        for item in linked:
            if isinstance(item, BaseException) and all(item is not s for s in seen):
                seen.append(item)
        if len(seen) > 20:  # a pathological chain: what was found is enough
            break
    return seen


def _deepest_text(causes: list[BaseException]) -> str:
    for cause in reversed(causes):
        if isinstance(cause, OSError) and cause.strerror:
            return str(cause.strerror)
    for cause in reversed(causes):
        text = str(cause)
        if text and not text.startswith("("):
            return _one_line(text)
    return type(causes[0]).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())
