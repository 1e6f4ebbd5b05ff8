"""haproxy.cfg text <-> `HaproxyConfig`: the one place that writes the file and reads it back.

    render(config) -> str      deterministic: the same config always gives the same bytes
    parse(text) -> config      parse(render(config)) == config; ConfigUnreadable otherwise
    redact(text) -> str        the text with the stats password masked, all else kept

Running LBs carry the hash of the rendered text as a label, so `render` must never
change a byte for an unchanged config. `parse` also reads what earlier lbtui versions
wrote (no `fastinter`, no `timeout check`, no runtime API), and refuses lines it does
not know rather than guess. Every keyword is checked against the HAProxy 2.6 manual.
"""

from __future__ import annotations

import re
from typing import Any

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.haproxy.model import (
    Backend,
    Defaults,
    Frontend,
    GlobalSettings,
    HaproxyConfig,
    HttpCheck,
    Resolvers,
    StatsAuth,
)
from lbtui.core.haproxy.server_lines import UnknownLine as _Unknown
from lbtui.core.haproxy.server_lines import millis as _millis
from lbtui.core.haproxy.server_lines import name as _name
from lbtui.core.haproxy.server_lines import parse_server, render_server
from lbtui.core.haproxy.server_lines import raw as _raw
from lbtui.core.topology.limits import HAPROXY_PLAIN_CHARS

#: What a masked password reads in diffs shown on terminals and in the UI.
MASK = "***"

_INDENT = "    "
_HEADER = "# haproxy.cfg of VIP {vip} (topology {topology}), rendered by lbtui"
_HEADER_LINE = re.compile(
    r"# haproxy\.cfg of VIP (?P<vip>\S+) \(topology (?P<topology>\S+)\), rendered by lbtui"
)
# Lines written the same for every VIP: rendered as they are, accepted and skipped on parse.
_GLOBAL_FIXED = ("master-worker",)
_DEFAULTS_HEAD = ("mode http", "log global", "option httplog", "option idle-close-on-response")
# Every retry goes to another server: a killed backend costs no client request.
_REDISPATCH = "option redispatch 1"
_DEFAULTS_TAIL = ("load-server-state-from-file global", "stats enable")
_RESOLVERS_FIXED = (
    "resolve_retries 3",
    "timeout resolve 1s",
    "timeout retry 1s",
    # Long enough that a killed backend shows DOWN (its checks fail within
    # inter x fall) before the vanished name turns it to MAINT (resolution).
    "hold nx 30s",
    "hold refused 30s",
    "hold timeout 30s",
    "hold other 30s",
)
_NAMESERVER_ID = "dns1"
_UNIX_SOCKET_TAIL = "mode 600 level admin"
_TCP_SOCKET = re.compile(r"(?:ipv4@)?127\.0\.0\.1:(\d+)")
_SERVED_BY_VALUE = "%s"
_PLAIN = re.compile(f"[{HAPROXY_PLAIN_CHARS}]")
_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


class ConfigUnreadable(RuntimeFailure):
    """A haproxy.cfg text is not one lbtui wrote, so nothing can be read from it safely."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        where = f"line {line}: " if line else ""
        super().__init__(f"haproxy.cfg is not one lbtui wrote: {where}{problem}")


def render(config: HaproxyConfig) -> str:
    """The haproxy.cfg text of `config`."""
    sections = [
        ("global", _global_lines(config.global_settings)),
        ("defaults", _defaults_lines(config.defaults)),
    ]
    if config.resolvers is not None:
        resolvers = config.resolvers
        nameserver = f"nameserver {_NAMESERVER_ID} {word(resolvers.nameserver)}"
        hold_valid = f"hold valid {_raw(resolvers.hold_valid, 'hold valid')}"
        body = [nameserver, *_RESOLVERS_FIXED, hold_valid]
        if resolvers.accepted_payload_size is not None:
            body.append(f"accepted_payload_size {resolvers.accepted_payload_size}")
        sections.append((f"resolvers {_name(resolvers.name)}", body))
    front = config.frontend
    bind = f"bind {_raw(front.bind_address, 'bind_address')}:{front.port}"
    to_backend = f"default_backend {_name(front.default_backend)}"
    sections.append((f"frontend {_name(front.name)}", [bind, to_backend]))
    sections.append((f"backend {_name(config.backend.name)}", _backend_lines(config.backend)))
    lines = [_HEADER.format(vip=_name(config.vip), topology=_name(config.topology))]
    for index, (head, body) in enumerate(sections):
        lines += [""] if index else []
        lines += [head, *(_INDENT + line for line in body)]
    return "\n".join(lines) + "\n"


def _global_lines(glob: GlobalSettings) -> list[str]:
    lines = [
        f"log {_raw(glob.log_target, 'log_target')} {_raw(glob.log_facility, 'log_facility')}",
        *_GLOBAL_FIXED,
        f"maxconn {glob.max_connections}",
        f"hard-stop-after {_raw(glob.hard_stop_after, 'hard_stop_after')}",
    ]
    if glob.runtime_socket is not None:
        lines.append(f"stats socket {word(glob.runtime_socket)} {_UNIX_SOCKET_TAIL}")
    if glob.runtime_tcp_port is not None:
        lines.append(f"stats socket ipv4@127.0.0.1:{glob.runtime_tcp_port} level admin")
    if glob.server_state_file is not None:
        lines.append(f"server-state-file {word(glob.server_state_file)}")
    return lines


def _defaults_lines(defaults: Defaults) -> list[str]:
    lines = [
        *_DEFAULTS_HEAD,
        f"retries {defaults.retries}",
        _REDISPATCH,
        f"timeout connect {defaults.connect_timeout_ms}ms",
        f"timeout client {defaults.client_timeout_ms}ms",
        f"timeout server {defaults.server_timeout_ms}ms",
        *_DEFAULTS_TAIL,
        f"stats uri {word(defaults.stats_uri)}",
    ]
    if defaults.stats_auth is not None:
        lines.append(_stats_auth(defaults.stats_auth))
    return lines


def _backend_lines(back: Backend) -> list[str]:
    check = back.httpchk
    lines = [
        f"balance {_raw(back.balance, 'balance')}",
        f"option httpchk {_raw(check.method, 'method')} {word(check.path)} "
        f"{_raw(check.version, 'version')}",
    ]
    if back.check_timeout_ms is not None:
        # With `timeout check` set, a check connects within min(timeout connect, inter),
        # and `fastinter` spaces the checks of a failing server closer: a killed backend
        # (no RST, its address gone) is DOWN in about 8 s at inter 2 s, not 12 s or more.
        lines.append(f"timeout check {back.check_timeout_ms}ms")
    lines.append(f"http-response set-header {_name(back.served_by_header)} {_SERVED_BY_VALUE}")
    return lines + [render_server(server) for server in back.servers]


def _stats_auth(auth: StatsAuth) -> str:
    return f"stats auth {word(auth.user + ':' + auth.password)}"


def word(value: str) -> str:
    """`value` as one HAProxy configuration word, escaping anything the parser would interpret."""
    if not value:
        raise BadInput("an empty value cannot be written into haproxy.cfg")
    return "".join(
        ch if _PLAIN.fullmatch(ch) else "".join(f"\\x{b:02x}" for b in ch.encode("utf-8"))
        for ch in value
    )


def unword(text: str) -> str:
    """The value a `word()` stands for."""
    data = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        data += text[position : match.start()].encode("utf-8")
        data.append(int(match.group(1), 16))
        position = match.end()
    data += text[position:].encode("utf-8")
    return data.decode("utf-8", errors="replace")


def redact(text: str) -> str:
    """`text` with every `stats auth` password masked; every other byte as it was."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.strip()
        if body.startswith("stats auth ") and len(body.split()) == 3:
            user, colon, _ = unword(body.split()[2]).partition(":")
            masked = _stats_auth(StatsAuth(user, MASK)) if colon else f"stats auth {MASK}"
            indent = line[: len(line) - len(line.lstrip())]
            line = indent + masked + line[len(line.rstrip("\r\n")) :]
        out.append(line)
    return "".join(out)


# ---- parsing ---------------------------------------------------------------------------

_SECTIONS = ("global", "defaults", "resolvers", "frontend", "backend")


def parse(text: str) -> HaproxyConfig:
    """The configuration a haproxy.cfg text describes; ConfigUnreadable names a line otherwise."""
    header: dict[str, str] = {}
    sections: dict[str, dict[str, Any]] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.strip()
        if body.startswith("#") and not header and (match := _HEADER_LINE.fullmatch(body)):
            header = match.groupdict()
        if not body or body.startswith("#"):
            continue
        words = body.split()
        if not line[:1].isspace():
            section = _open_section(sections, words, number)
            continue
        try:
            _READERS[section](sections[section], body, words)
        except _Unknown as error:
            raise ConfigUnreadable(number, f"{body!r} is not understood ({error})") from error
        except (KeyError, ValueError, IndexError) as error:
            raise ConfigUnreadable(number, f"{body!r} is not understood") from error
    return _assemble(header, sections)


def _open_section(sections: dict[str, dict[str, Any]], words: list[str], number: int) -> str:
    kind, named = words[0], words[0] in ("resolvers", "frontend", "backend")
    if kind not in _SECTIONS or kind in sections or len(words) != (2 if named else 1):
        raise ConfigUnreadable(number, f"unexpected section {' '.join(words)!r}")
    sections[kind] = {"name": words[1]} if named else {}
    return kind


def _read_global(found: dict[str, Any], body: str, words: list[str]) -> None:
    if body in _GLOBAL_FIXED:
        return
    if words[0] == "log":
        found["log_target"], found["log_facility"] = body[len("log ") :].rsplit(" ", 1)
    elif words[0] == "maxconn" and len(words) == 2:
        found["max_connections"] = int(words[1])
    elif words[0] == "hard-stop-after" and len(words) == 2:
        found["hard_stop_after"] = words[1]
    elif words[0] == "server-state-file" and len(words) == 2:
        found["server_state_file"] = unword(words[1])
    elif words[:2] == ["stats", "socket"]:
        tcp = _TCP_SOCKET.fullmatch(words[2])
        if tcp is not None and words[3:] == ["level", "admin"]:
            found.setdefault("runtime_tcp_port", int(tcp.group(1)))
        elif " ".join(words[3:]) == _UNIX_SOCKET_TAIL:
            found.setdefault("runtime_socket", unword(words[2].removeprefix("unix@")))
        else:
            raise _Unknown("a stats socket lbtui does not write")
    else:
        raise _Unknown("not a global setting lbtui writes")


def _read_defaults(found: dict[str, Any], body: str, words: list[str]) -> None:
    if body in _DEFAULTS_HEAD or body in _DEFAULTS_TAIL or body == _REDISPATCH:
        return
    if words[0] == "retries" and len(words) == 2:
        found["retries"] = int(words[1])
    elif words[0] == "timeout" and len(words) == 3 and words[1] in ("connect", "client", "server"):
        found[f"{words[1]}_timeout_ms"] = _millis(words[2])
    elif words[:2] == ["stats", "uri"] and len(words) == 3:
        found["stats_uri"] = unword(words[2])
    elif words[:2] == ["stats", "auth"] and len(words) == 3:
        user, colon, password = unword(words[2]).partition(":")
        if not colon:
            raise _Unknown("stats auth without ':'")
        found["stats_auth"] = StatsAuth(user, password)
    else:
        raise _Unknown("not a default lbtui writes")


def _read_resolvers(found: dict[str, Any], body: str, words: list[str]) -> None:
    if body in _RESOLVERS_FIXED:
        return
    if words[:2] == ["hold", "valid"] and len(words) == 3:
        found["hold_valid"] = words[2]
        return
    if words[0] == "accepted_payload_size" and len(words) == 2:
        found["accepted_payload_size"] = int(words[1])
        return
    if words[:2] != ["nameserver", _NAMESERVER_ID] or len(words) != 3:
        raise _Unknown("not a resolvers setting lbtui writes")
    found["nameserver"] = unword(words[2])


def _read_frontend(found: dict[str, Any], body: str, words: list[str]) -> None:
    if words[0] == "bind" and len(words) == 2:
        found["bind_address"], port = words[1].rsplit(":", 1)
        found["port"] = int(port)
    elif words[0] == "default_backend" and len(words) == 2:
        found["default_backend"] = words[1]
    else:
        raise _Unknown("not a frontend setting lbtui writes")


def _read_backend(found: dict[str, Any], body: str, words: list[str]) -> None:
    if words[0] == "balance" and len(words) >= 2:
        found["balance"] = body[len("balance ") :]
    elif words[:2] == ["option", "httpchk"] and len(words) == 5:
        found["httpchk"] = HttpCheck(words[2], unword(words[3]), words[4])
    elif words[:2] == ["timeout", "check"] and len(words) == 3:
        found["check_timeout_ms"] = _millis(words[2])
    elif words[:2] == ["http-response", "set-header"] and words[3:] == [_SERVED_BY_VALUE]:
        found["served_by_header"] = words[2]
    elif words[0] in ("server", "server-template"):
        found.setdefault("servers", []).append(parse_server(words))
    else:
        raise _Unknown("not a backend setting lbtui writes")


_READERS = {
    "global": _read_global,
    "defaults": _read_defaults,
    "resolvers": _read_resolvers,
    "frontend": _read_frontend,
    "backend": _read_backend,
}


def _assemble(header: dict[str, str], sections: dict[str, dict[str, Any]]) -> HaproxyConfig:
    missing = [s for s in ("global", "defaults", "frontend", "backend") if s not in sections]
    if not header or missing:
        raise ConfigUnreadable(0, f"no {', '.join(missing) or 'lbtui header comment'}")
    unset_global = {"runtime_socket": None, "runtime_tcp_port": None, "server_state_file": None}
    backend = {"check_timeout_ms": None} | sections["backend"]
    backend["servers"] = tuple(backend.get("servers", ()))
    resolvers = sections.get("resolvers")
    try:
        return HaproxyConfig(
            vip=header["vip"],
            topology=header["topology"],
            global_settings=GlobalSettings(**(unset_global | sections["global"])),
            defaults=Defaults(**({"stats_auth": None} | sections["defaults"])),
            resolvers=Resolvers(**resolvers) if resolvers is not None else None,
            frontend=Frontend(**sections["frontend"]),
            backend=Backend(**backend),
        )
    except TypeError as error:
        raise ConfigUnreadable(0, f"a setting is missing ({error})") from error
