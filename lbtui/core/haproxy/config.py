"""Render a VIP's haproxy.cfg, and read what `haproxy -c` says about it.

The text is deterministic (same topology, same bytes): actions compare
`config_hash()` of it with the hash labelled on the running LB to detect drift.
Every keyword used here is checked against the HAProxy 2.6 configuration manual.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.topology.model import Topology, Vip

#: Where the official image (and lbtui's lab image) reads its configuration.
CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"

#: Response header naming the server that answered; the traffic generator tallies it.
SERVED_BY_HEADER = "X-Served-By"

# HAProxy proxy and server names: letters, digits, '-', '_', '.', ':'.
_HAPROXY_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
_HOST_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_HTTP_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HTTP_VERSION = re.compile(r"^HTTP/[0-9](\.[0-9])?$")
# Characters that stand for themselves in an unquoted HAProxy word.
_PLAIN = re.compile(r"[A-Za-z0-9_.,:;/@%+=~^!?*()\[\]{}<>|&-]")


@dataclass(frozen=True)
class RenderOptions:
    """Paths and knobs that depend on where the LB runs, not on the topology."""

    runtime_socket: str = "/run/haproxy.sock"
    """The admin-level runtime API socket (`stats socket`), inside the LB container."""
    runtime_tcp_port: int | None = 9999
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


@dataclass(frozen=True)
class CheckResult:
    """What `haproxy -c` said about a configuration."""

    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One human-readable paragraph: the verdict and every error and warning."""
        lines = ["configuration is valid" if self.valid else "configuration is invalid"]
        lines += [f"error: {e}" for e in self.errors]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def render_config(
    topology: Topology,
    vip: Vip,
    credentials: StatsCredentials,
    options: RenderOptions = DEFAULT_OPTIONS,
) -> str:
    """The full haproxy.cfg text of `vip`; the same inputs always give the same bytes."""
    _check_inputs(topology, vip)
    if options.runtime_tcp_port == vip.frontend_port:
        raise BadInput(
            f"vips.{vip.name}.frontend_port {vip.frontend_port} is the port lbtui's runtime "
            "API listens on inside the LB: choose another"
        )
    lines: list[str] = [
        f"# haproxy.cfg of VIP {vip.name} (topology {topology.name}), rendered by lbtui",
        "global",
        f"    log {_single_line(vip.log_target, 'log_target')} "
        f"{_single_line(vip.log_facility, 'log_facility')}",
        "    master-worker",
        f"    maxconn {options.max_connections}",
        f"    hard-stop-after {options.hard_stop_after}",
        f"    stats socket {_word(options.runtime_socket)} mode 600 level admin",
        *(
            [f"    stats socket ipv4@127.0.0.1:{options.runtime_tcp_port} level admin"]
            if options.runtime_tcp_port is not None
            else []
        ),
        f"    server-state-file {_word(options.server_state_file)}",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option idle-close-on-response",
        f"    retries {options.retries}",
        # Every retry goes to another server: a killed backend costs no client request.
        "    option redispatch 1",
        f"    timeout connect {vip.timeouts.connect_ms}ms",
        f"    timeout client {vip.timeouts.client_ms}ms",
        f"    timeout server {vip.timeouts.server_ms}ms",
        "    load-server-state-from-file global",
        "    stats enable",
        f"    stats uri {_word(vip.stats.uri)}",
        f"    stats auth {_word(credentials.user + ':' + credentials.password)}",
        "",
    ]
    if options.dns_nameserver is not None:
        lines += [
            f"resolvers {RESOLVERS_NAME}",
            f"    nameserver dns1 {_word(options.dns_nameserver)}",
            "    resolve_retries 3",
            "    timeout resolve 1s",
            "    timeout retry 1s",
            # Long enough that a killed backend shows DOWN (its checks fail within
            # inter x fall) before the vanished name turns it to MAINT (resolution).
            "    hold nx 30s",
            "    hold refused 30s",
            "    hold timeout 30s",
            "    hold other 30s",
            "    hold valid 10s",
            "",
        ]
    check = vip.health_check
    lines += [
        f"frontend {vip.frontend_name}",
        f"    bind {options.bind_address}:{vip.frontend_port}",
        f"    default_backend {vip.haproxy_backend}",
        "",
        f"backend {vip.haproxy_backend}",
        f"    balance {vip.balance}",
        f"    option httpchk {check.method} {_word(check.path)} {check.version}",
        # With `timeout check` set, a check connects within min(timeout connect, inter),
        # and `fastinter` spaces the checks of a failing server closer: a killed backend
        # (no RST, its address gone) is DOWN in about 8 s at inter 2 s, not 12 s or more.
        f"    timeout check {check.interval_ms}ms",
        f"    http-response set-header {SERVED_BY_HEADER} %s",
    ]
    for member in vip.servers:
        backend = topology.backends[member.backend]
        server = (
            f"    server {backend.name} {backend.name}:{backend.port} check"
            f" inter {check.interval_ms}ms fastinter {max(check.interval_ms // 4, 100)}ms"
            f" rise {check.rise} fall {check.fall}"
            f" weight {member.weight}"
            # Explicit: with `resolvers`, 2.6 would otherwise start with an unresolvable
            # server disabled instead of failing, and `haproxy -c` would pass.
            " init-addr libc,last"
        )
        if options.dns_nameserver is not None:
            # Re-resolved at run time: a backend recreated with a new IP is found again.
            server += f" resolvers {RESOLVERS_NAME} resolve-prefer ipv4"
        lines.append(server)
    return "\n".join(lines) + "\n"


def server_ports(topology: Topology, vip: Vip) -> dict[str, int]:
    """Server name -> port, as `render_config` writes them (for the server-state file)."""
    return {
        member.backend: topology.backends[member.backend].port
        for member in vip.servers
        if member.backend in topology.backends
    }


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


# `[ALERT]    (1234) : config : parsing [f.cfg:12] : message` (the pid part is optional).
_CHECK_LINE = re.compile(r"^\[(?P<level>ALERT|WARNING|NOTICE)\]\s*(?:\(\d+\)\s*)?:\s*(?P<text>.*)$")
_GENERIC_ALERTS = (
    "Fatal errors found in configuration.",
    "Error(s) found in configuration file",
)


def parse_check_output(output: str, exit_code: int) -> CheckResult:
    """Turn the output and exit code of `haproxy -c` into errors and warnings."""
    errors: list[str] = []
    warnings: list[str] = []
    for raw in output.splitlines():
        match = _CHECK_LINE.match(raw.strip())
        if match is None:
            continue
        text = _clean_check_text(match["text"])
        if match["level"] == "ALERT":
            if not text.startswith(_GENERIC_ALERTS):
                errors.append(text)
        elif match["level"] == "WARNING":
            warnings.append(text)
    valid = exit_code == 0 and not errors
    if not valid and not errors:
        # haproxy failed without a specific alert (crash, wrong binary): keep what it said.
        detail = output.strip() or "no output"
        errors.append(f"haproxy -c exited with code {exit_code}: {detail}")
    return CheckResult(valid=valid, errors=errors, warnings=warnings)


def _clean_check_text(text: str) -> str:
    # "config : parsing [...]" -> "parsing [...]": the "config" tag tells the reader nothing.
    text = re.sub(r"^config\s*:\s*", "", text.strip())
    return re.sub(r"\s+", " ", text)


def _check_inputs(topology: Topology, vip: Vip) -> None:
    problems: list[str] = []
    where = f"vips.{vip.name}"
    for what, name in (
        ("frontend_name", vip.frontend_name),
        ("backend_name", vip.haproxy_backend),
    ):
        if not _HAPROXY_NAME.match(name):
            problems.append(f"{where}.{what} {name!r}: not a valid HAProxy section name")
    if not vip.servers:
        problems.append(f"{where}.servers: a VIP needs at least one server")
    for member in vip.servers:
        backend = topology.backends.get(member.backend)
        if backend is None:
            problems.append(f"{where}.servers: unknown backend {member.backend!r}")
        elif not _HOST_NAME.match(backend.name):
            problems.append(f"backends.{backend.name}: not usable as an HAProxy server name")
        if not 0 <= member.weight <= 256:
            problems.append(f"{where}.servers.{member.backend}.weight: must be 0..256")
    if not re.fullmatch(r"[a-z-]+( [A-Za-z0-9_.,()-]+)*", vip.balance):
        problems.append(f"{where}.balance {vip.balance!r}: not a balance algorithm")
    check = vip.health_check
    if not _HTTP_TOKEN.match(check.method):
        problems.append(f"{where}.health_check.method {check.method!r}: not an HTTP method")
    if not check.path.startswith("/"):
        problems.append(f"{where}.health_check.path {check.path!r}: must start with '/'")
    if not _HTTP_VERSION.match(check.version):
        problems.append(f"{where}.health_check.version {check.version!r}: e.g. HTTP/1.0")
    if not vip.stats.uri.startswith("/"):
        problems.append(f"{where}.stats.uri {vip.stats.uri!r}: must start with '/'")
    if problems:
        raise BadInput("cannot render haproxy.cfg:\n" + "\n".join(problems))


def _single_line(value: str, what: str) -> str:
    if "\n" in value or "\r" in value or "#" in value:
        raise BadInput(f"{what} {value!r}: must be one line without '#'")
    return value


def _word(value: str) -> str:
    """`value` as one HAProxy configuration word, escaping anything the parser would interpret."""
    if not value:
        raise BadInput("an empty value cannot be written into haproxy.cfg")
    return "".join(
        ch if _PLAIN.fullmatch(ch) else "".join(f"\\x{b:02x}" for b in ch.encode("utf-8"))
        for ch in value
    )
