"""What load to send (`TrafficSpec`, its bounds), where it may go, and who answered.

Only loopback and the lab range (198.18.0.0/15) are accepted as targets unless
`allow_any_target` is set; every run is bounded in rate, time and count.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.config import SERVED_BY_HEADER

TrafficMode = Literal["fresh", "keepalive"]
MODES: tuple[TrafficMode, ...] = ("fresh", "keepalive")

MAX_RATE = 2000.0
MAX_DURATION_S = 600.0
MAX_COUNT = MAX_RATE * MAX_DURATION_S
MAX_CONNECTIONS = 64
MAX_TIMEOUT_S = 60.0
MAX_CONNECT_RETRIES = 5
DEFAULT_RATE = 20.0
DEFAULT_DURATION_S = 10.0

#: Where tests and benchmarks may send load without an explicit override.
ALLOWED_NETWORKS = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
    ipaddress.ip_network("198.18.0.0/15"),
)

_SERVED_BY_TEXT = re.compile(rb"served by\s+([A-Za-z0-9_.:-]+)", re.IGNORECASE)
#: Only the start of a body is searched for "served by": pages can be large.
_BODY_SCAN_BYTES = 4096


@dataclass(frozen=True)
class TrafficSpec:
    """What load to send: where, how fast, how much, over which kind of connection."""

    url: str
    rate: float = DEFAULT_RATE
    """Requests per second, 0 < rate <= MAX_RATE."""
    duration_s: float | None = DEFAULT_DURATION_S
    """Stop after this long; None means MAX_DURATION_S (a count must then be given)."""
    count: int | None = None
    """Stop after this many requests; None means as many as fit in the duration."""
    mode: TrafficMode = "fresh"
    """`fresh`: a new TCP connection per request; `keepalive`: `connections` pooled ones."""
    connections: int = 4
    """Worker threads, i.e. requests in flight at most (and pooled connections)."""
    timeout_s: float = 5.0
    recent_size: int = 50
    """How many of the last responses the tally keeps, in order."""
    allow_any_target: bool = False
    """Send to addresses outside loopback and the lab range (the caller's responsibility)."""
    connect_retries: int = 0
    """Try a request this many times more when its connection cannot be made (nothing was
    sent, so a retry is safe), 0 s, 0.5 s, 1 s, 2 s ... apart, as client libraries do."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 0 < self.rate <= MAX_RATE:
            problems.append(f"rate {self.rate:g}: must be > 0 and <= {MAX_RATE:g} requests/s")
        if self.duration_s is not None and not 0 < self.duration_s <= MAX_DURATION_S:
            problems.append(
                f"duration {self.duration_s:g}: must be > 0 and <= {MAX_DURATION_S:g} s"
            )
        if self.count is not None and not 0 < self.count <= MAX_COUNT:
            problems.append(f"count {self.count}: must be > 0 and <= {MAX_COUNT:.0f}")
        if self.duration_s is None and self.count is None:
            problems.append("give a duration or a count: the load must be bounded")
        if self.mode not in MODES:
            problems.append(f"mode {self.mode!r}: must be one of {', '.join(MODES)}")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            problems.append(f"connections {self.connections}: must be 1..{MAX_CONNECTIONS}")
        if not 0 < self.timeout_s <= MAX_TIMEOUT_S:
            problems.append(f"timeout {self.timeout_s:g}: must be > 0 and <= {MAX_TIMEOUT_S:g} s")
        if not 0 <= self.connect_retries <= MAX_CONNECT_RETRIES:
            problems.append(
                f"connect_retries {self.connect_retries}: must be 0..{MAX_CONNECT_RETRIES}"
            )
        if not 1 <= self.recent_size <= 10_000:
            problems.append(f"recent_size {self.recent_size}: must be 1..10000")
        if problems:
            raise BadInput("invalid traffic settings:\n" + "\n".join(problems))

    @property
    def deadline_s(self) -> float:
        """The run's time bound, in seconds from its start."""
        return self.duration_s if self.duration_s is not None else MAX_DURATION_S


def check_target(url: str, allow_any: bool = False) -> None:
    """Refuse URLs that are not http(s) or, unless `allow_any`, point outside the lab range."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"traffic target {url!r}: must be an http:// or https:// URL with a host")
    if allow_any:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as error:
        raise BadInput(
            f"traffic target {url!r}: cannot resolve {parts.hostname}: {error}"
        ) from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not any(address in network for network in ALLOWED_NETWORKS):
            allowed = ", ".join(str(n) for n in ALLOWED_NETWORKS)
            raise BadInput(
                f"traffic target {url!r} resolves to {address}, outside {allowed}: "
                "lbtui sends load only to loopback and lab addresses unless explicitly allowed"
            )


def served_by(response: httpx.Response) -> str | None:
    """The server that answered: the LB's header, else "served by NAME" in the page."""
    return served_by_parts(response.headers.get(SERVED_BY_HEADER), response.content)


def served_by_parts(header: str | None, body: bytes) -> str | None:
    """`served_by` from the header's value (if any) and the body."""
    if header:
        return header.strip()
    match = _SERVED_BY_TEXT.search(body[:_BODY_SCAN_BYTES])
    return match.group(1).decode("ascii") if match else None


def check_rate(rate: float) -> float:
    """The rate, if it is one the generator accepts."""
    if not 0 < rate <= MAX_RATE:
        raise BadInput(f"rate {rate:g}: must be > 0 and <= {MAX_RATE:g} requests/s")
    return rate
