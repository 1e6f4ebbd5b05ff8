"""What the VIP pane shows of one HAProxy: frozen, already turned into rates and shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerView:
    """One pool member of a VIP as its LB reports it."""

    name: str
    """The HAProxy server name, which is its backend's (`topology.limits.server_name`)."""
    status: str
    check_status: str = ""
    check_code: str = ""
    check_duration_ms: int | None = None
    weight: int = 0
    scur: int = 0
    stot: int = 0
    lbtot: int = 0
    rate: float = 0.0
    """Requests per second over the last interval, never negative."""
    hrsp_2xx: int = 0
    hrsp_5xx: int = 0
    share: float = 0.0
    """This server's part (0..1) of the pool's requests in the last interval."""
    history: tuple[float, ...] = ()
    """Its request rate over about the last minute, oldest first."""
    qtime_ms: int | None = None
    """HAProxy's averages over its last 1024 requests: queue, connect, response, total."""
    ctime_ms: int | None = None
    rtime_ms: int | None = None
    ttime_ms: int | None = None

    @property
    def status_class(self) -> str:
        """The CSS class that colours the status: `-up`, `-down`, ..., `-other`."""
        word = self.status.split(" ")[0].upper() if self.status else ""
        if word.startswith("UP"):
            return "-up"
        if word.startswith("DOWN"):
            return "-down"
        if word in {"MAINT", "DRAIN", "NOLB"}:
            return f"-{word.lower()}"
        return "-other"


@dataclass(frozen=True)
class VipView:
    """One VIP's stats at one poll; `reachable` False means only `error` is meaningful."""

    vip: str
    reachable: bool
    polled_at: float
    error: str | None = None
    frontend_scur: int = 0
    frontend_stot: int = 0
    frontend_rate: float = 0.0
    servers: tuple[ServerView, ...] = ()

    def server(self, name: str) -> ServerView | None:
        """The named server, if the LB reports it."""
        return next((server for server in self.servers if server.name == name), None)
