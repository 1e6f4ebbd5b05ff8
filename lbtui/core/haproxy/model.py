"""A VIP's haproxy.cfg as data: what lbtui writes, and what it reads back from a running LB.

`config.build_config()` makes one from a topology; `config_text.render()` turns it
into the text the LB runs and `config_text.parse()` turns that text back into the same value.
Only what varies is modelled: the fixed lines (`master-worker`, `mode http`, ...) are
part of the rendering. Optional fields are settings older lbtui versions did not write
(or the options leave out), so that running configs of those versions read back too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GlobalSettings:
    """The `global` section: logging, process limits, the runtime API, saved server state."""

    log_target: str
    log_facility: str
    max_connections: int
    hard_stop_after: str
    runtime_socket: str | None
    """Unix socket of the admin-level runtime API (`stats socket PATH mode 600 level admin`)."""
    runtime_tcp_port: int | None
    """Loopback TCP port of the runtime API (`stats socket ipv4@127.0.0.1:PORT level admin`)."""
    server_state_file: str | None


@dataclass(frozen=True)
class StatsAuth:
    """`stats auth USER:PASSWORD` of the stats page."""

    user: str
    password: str


@dataclass(frozen=True)
class Defaults:
    """The `defaults` section: retries, timeouts and the stats page."""

    retries: int
    connect_timeout_ms: int
    client_timeout_ms: int
    server_timeout_ms: int
    stats_uri: str
    stats_auth: StatsAuth | None


@dataclass(frozen=True)
class Resolvers:
    """A `resolvers` section: the DNS server that re-resolves server names at run time."""

    name: str
    nameserver: str
    """`ADDRESS:PORT`, e.g. Docker's embedded DNS `127.0.0.11:53`."""
    hold_valid: str = "10s"
    """How long a valid answer is kept, i.e. how often names are resolved again."""
    accepted_payload_size: int | None = None
    """Largest DNS answer accepted over UDP (EDNS0); None: HAProxy's 512 bytes."""


@dataclass(frozen=True)
class Frontend:
    """The `frontend` section: where clients connect and which backend serves them."""

    name: str
    bind_address: str
    port: int
    default_backend: str


@dataclass(frozen=True)
class HttpCheck:
    """`option httpchk METHOD PATH VERSION`."""

    method: str
    path: str
    version: str


@dataclass(frozen=True)
class Server:
    """One `server` line: a pool member, its address, weight and health-check timing."""

    name: str
    address: str
    port: int
    weight: int
    inter_ms: int
    fastinter_ms: int | None
    rise: int
    fall: int
    init_addr: str | None
    resolvers: str | None
    """The `resolvers` section that re-resolves `address`; None: resolved once, at start."""
    slots: int | None = None
    """A `server-template` of this many servers: `name` is their prefix, HAProxy numbers
    them `<name>1` .. `<name><slots>`, and each takes one address `address` resolves to."""

    @property
    def names(self) -> tuple[str, ...]:
        """The HAProxy server names this line declares: one, or one per template slot."""
        if self.slots is None:
            return (self.name,)
        return tuple(f"{self.name}{number}" for number in range(1, self.slots + 1))


@dataclass(frozen=True)
class Backend:
    """The `backend` section: balancing, the health check and the servers."""

    name: str
    balance: str
    httpchk: HttpCheck
    check_timeout_ms: int | None
    served_by_header: str
    """Response header set to the name of the server that answered."""
    servers: tuple[Server, ...]


@dataclass(frozen=True)
class HaproxyConfig:
    """The whole haproxy.cfg of one VIP."""

    vip: str
    topology: str
    global_settings: GlobalSettings
    defaults: Defaults
    resolvers: Resolvers | None
    frontend: Frontend
    backend: Backend

    @property
    def server_names(self) -> tuple[str, ...]:
        """The backend's server names, in order."""
        return tuple(name for server in self.backend.servers for name in server.names)
