"""Build a VIP's haproxy.cfg from the topology: `build_config` -> `HaproxyConfig` -> text.

The text is deterministic (same topology, same bytes): actions compare
`config_hash()` of it with the hash labelled on the running LB to detect drift.
`config_text` renders the model and parses a running LB's file back into it.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.config_text import render
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.haproxy.model import (
    Backend,
    Defaults,
    Frontend,
    GlobalSettings,
    HaproxyConfig,
    HttpCheck,
    Resolvers,
    Server,
    StatsAuth,
)
from lbtui.core.topology import values
from lbtui.core.topology.limits import (
    RUNTIME_API_PORT,
    SERVER_NAME,
    SERVICE_REPLICAS_MAX,
    WEIGHT_MAX,
    WEIGHT_MIN,
    server_name,
    slot_names,
    slot_prefix,
)
from lbtui.core.topology.model import HealthCheck, PoolMember, Topology, Vip

#: Where the official image (and lbtui's lab image) reads its configuration.
CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"

#: Response header naming the server that answered; the traffic generator tallies it.
SERVED_BY_HEADER = "X-Served-By"

_HTTP_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HTTP_VERSION = re.compile(r"^HTTP/[0-9](\.[0-9])?$")
#: Checks of a failing server run at a quarter of `inter`, but not more often than this.
_FASTINTER_MIN_MS = 100
#: Resolve once at start from /etc/hosts or DNS, else keep the last known address.
_INIT_ADDR = "libc,last"
#: How often names are resolved again: HAProxy's default, and for VIPs with services.
_HOLD_VALID = "10s"
_TASKS_HOLD_VALID = "1s"
_TASKS_PAYLOAD_SIZE = 8192
#: A service's slots start without an address and wait for DNS (a service may have no task).
_TEMPLATE_INIT_ADDR = "none"


class RenderRefused(BadInput):
    """A VIP's haproxy.cfg cannot be rendered; `problems` are (topology path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"{path}: {message}" for path, message in problems]
        super().__init__("cannot render haproxy.cfg:\n" + "\n".join(lines))


@dataclass(frozen=True)
class RenderOptions:
    """Paths and knobs that depend on where the LB runs, not on the topology."""

    runtime_socket: str = "/run/haproxy.sock"
    """The admin-level runtime API socket (`stats socket`), inside the LB container."""
    runtime_tcp_port: int | None = RUNTIME_API_PORT
    """Also serve the runtime API on 127.0.0.1:PORT inside the LB's network namespace, for
    images whose only client is busybox `nc` (no unix sockets); None renders no such line."""
    server_state_file: str = "/run/haproxy-server-state"
    """Where `show servers state` is saved before a reload, so drain/weight survive it."""
    dns_nameserver: str | None = "127.0.0.11:53"
    """Docker's embedded DNS; None renders no `resolvers` section (e.g. outside Docker)."""
    bind_address: str = "*"
    hard_stop_after: str = "30s"
    """How long an old worker may finish its connections after a reload."""
    max_connections: int = 4096
    retries: int = 3


DEFAULT_OPTIONS = RenderOptions()

#: A server-state file holding no server: write it before the first start, so that
#: `load-server-state-from-file` finds a file and HAProxy warns about nothing.
EMPTY_SERVER_STATE = "1\n"
RESOLVERS_NAME = "docker"


def build_config(
    topology: Topology,
    vip: Vip,
    credentials: StatsCredentials,
    options: RenderOptions = DEFAULT_OPTIONS,
) -> HaproxyConfig:
    """The haproxy.cfg of `vip` as data; BadInput lists everything that cannot be rendered."""
    _check_inputs(topology, vip, options)
    resolvers = None
    if options.dns_nameserver is not None:
        # A service's tasks come and go: resolve every second, not every 10 s, so new
        # tasks take traffic as soon as their checks pass. Other VIPs keep their bytes.
        follows_tasks = any(m.backend in topology.services for m in vip.servers)
        hold_valid = _TASKS_HOLD_VALID if follows_tasks else _HOLD_VALID
        # `tasks.NAME` answers one record per task: 32 of them do not fit in 512 bytes, and
        # Docker's DNS truncates to the size the query announces (EDNS0).
        payload = _TASKS_PAYLOAD_SIZE if follows_tasks else None
        resolvers = Resolvers(RESOLVERS_NAME, options.dns_nameserver, hold_valid, payload)
    check = vip.health_check
    servers = [_server(topology, member, check, resolvers) for member in vip.servers]
    return HaproxyConfig(
        vip=vip.name,
        topology=topology.name,
        global_settings=GlobalSettings(
            log_target=vip.log_target,
            log_facility=vip.log_facility,
            max_connections=options.max_connections,
            hard_stop_after=options.hard_stop_after,
            runtime_socket=options.runtime_socket,
            runtime_tcp_port=options.runtime_tcp_port,
            server_state_file=options.server_state_file,
        ),
        defaults=Defaults(
            retries=options.retries,
            connect_timeout_ms=vip.timeouts.connect_ms,
            client_timeout_ms=vip.timeouts.client_ms,
            server_timeout_ms=vip.timeouts.server_ms,
            stats_uri=vip.stats.uri,
            stats_auth=StatsAuth(credentials.user, credentials.password),
        ),
        resolvers=resolvers,
        frontend=Frontend(
            vip.frontend_name, options.bind_address, vip.frontend_port, vip.haproxy_backend
        ),
        backend=Backend(
            name=vip.haproxy_backend,
            balance=vip.balance,
            httpchk=HttpCheck(check.method, check.path, check.version),
            check_timeout_ms=check.interval_ms,
            served_by_header=SERVED_BY_HEADER,
            servers=tuple(servers),
        ),
    )


def _server(
    topology: Topology, member: PoolMember, check: HealthCheck, resolvers: Resolvers | None
) -> Server:
    service = topology.services.get(member.backend)
    if service is not None and resolvers is None:
        raise BadInput(f"service {service.name} is followed through DNS: it needs resolvers")
    if service is not None:
        # One slot per task that may ever run: HAProxy cannot add servers at run time.
        # `tasks.NAME` is Docker's DNS name listing every running task's address.
        name, address, port = slot_prefix(service.name), f"tasks.{service.name}", service.port
    else:
        # Docker's DNS resolves the container name on the VIP's network.
        backend = topology.backends[member.backend]
        name, address, port = server_name(backend.name), backend.name, backend.port
    return Server(
        name=name,
        address=address,
        port=port,
        weight=member.weight,
        inter_ms=check.interval_ms,
        fastinter_ms=max(check.interval_ms // 4, _FASTINTER_MIN_MS),
        rise=check.rise,
        fall=check.fall,
        init_addr=_TEMPLATE_INIT_ADDR if service is not None else _INIT_ADDR,
        resolvers=resolvers.name if resolvers is not None else None,
        slots=SERVICE_REPLICAS_MAX if service is not None else None,
    )


def render_config(
    topology: Topology,
    vip: Vip,
    credentials: StatsCredentials,
    options: RenderOptions = DEFAULT_OPTIONS,
) -> str:
    """The full haproxy.cfg text of `vip`; the same inputs always give the same bytes."""
    return render(build_config(topology, vip, credentials, options))


def server_ports(topology: Topology, vip: Vip) -> dict[str, int]:
    """Server name -> port, as `render_config` writes them (for the server-state file)."""
    ports: dict[str, int] = {}
    for member in vip.servers:
        if member.backend in topology.backends:
            ports[server_name(member.backend)] = topology.backends[member.backend].port
        elif member.backend in topology.services:
            service = topology.services[member.backend]
            ports.update(dict.fromkeys(slot_names(service.name), service.port))
    return ports


def config_hash(text: str) -> str:
    """A stable fingerprint of a rendered configuration (sha256, hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_diff(old: str, new: str, old_name: str = "running", new_name: str = "new") -> str:
    """A unified diff between two configurations; empty when they are identical."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )


def _check_inputs(topology: Topology, vip: Vip, options: RenderOptions) -> None:
    where = f"vips.{vip.name}"
    problems: list[tuple[str, str]] = []

    def refuse(path: str, problem: str | None) -> None:
        if problem is not None:
            problems.append((f"{where}.{path}" if path else where, problem))

    for key, name in (("frontend", vip.frontend_name), ("backend", vip.haproxy_backend)):
        refuse(key, values.section_name(name))
    if options.runtime_tcp_port == vip.frontend_port:
        refuse(
            "frontend_port",
            f"{vip.frontend_port} is the port lbtui's runtime API listens on inside the LB; "
            "choose another",
        )
    if not vip.servers:
        refuse("servers", "a VIP needs at least one server")
    for index, member in enumerate(vip.servers):
        backend = topology.backends.get(member.backend)
        if backend is None and member.backend in topology.services:
            pass
        elif backend is None:
            refuse(f"servers[{index}]", f"unknown backend {member.backend!r}")
        elif not SERVER_NAME.fullmatch(backend.name):
            problems.append((f"backends.{backend.name}", "not usable as an HAProxy server name"))
        if not WEIGHT_MIN <= member.weight <= WEIGHT_MAX:
            refuse(f"servers[{index}].weight", f"must be {WEIGHT_MIN}..{WEIGHT_MAX}")
    refuse("balance", values.balance(vip.balance))
    check = vip.health_check
    if not _HTTP_TOKEN.match(check.method):
        refuse("health_check.method", f"{check.method!r} is not an HTTP method")
    if not check.path.startswith("/"):
        refuse("health_check.path", f"{check.path!r} must start with '/'")
    if not _HTTP_VERSION.match(check.version):
        refuse("health_check.version", f"{check.version!r} is not an HTTP version, e.g. HTTP/1.0")
    if not vip.stats.uri.startswith("/"):
        refuse("stats.uri", f"{vip.stats.uri!r} must start with '/'")
    refuse("log.target", values.log_target(vip.log_target))
    refuse("log.facility", values.facility(vip.log_facility))
    if problems:
        raise RenderRefused(problems)
