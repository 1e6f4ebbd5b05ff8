"""HAProxy runtime API: build the commands lbtui sends to the stats socket, parse the answers.

Pure functions: the commands reach the socket inside the LB container through
`control.channel` (`docker exec`). Commands are one line each; `batch()` joins
several with ';', which the runtime API runs in order on one connection.

Before a reload, the actions save `show servers state` into the file named by
`server-state-file` (see config.RenderOptions) with
`server_state_file_content()`, so runtime drain, maintenance and weight
survive the reload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.topology.limits import HAPROXY_NAME, WEIGHT_MAX, WEIGHT_MIN

AdminState = Literal["ready", "drain", "maint"]
HealthState = Literal["up", "down"]
ADMIN_STATES: tuple[AdminState, ...] = ("ready", "drain", "maint")

# srv_op_state values (management guide, "show servers state").
_OP_STATES = {0: "stopped", 1: "starting", 2: "running", 3: "stopping"}
# srv_admin_state bits.
_FMAINT, _IMAINT, _CMAINT, _FDRAIN, _IDRAIN, _RMAINT = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_ANY_MAINT = _FMAINT | _IMAINT | _CMAINT | _RMAINT


class RuntimeCommandFailed(RuntimeFailure):
    """HAProxy's runtime API refused a command (unknown server, bad weight...)."""

    def __init__(self, command: str, reply: str) -> None:
        self.command = command
        self.reply = reply
        super().__init__(f"HAProxy refused `{command}`: {reply}")


def _target(backend: str, server: str) -> str:
    for what, name in (("backend", backend), ("server", server)):
        if not HAPROXY_NAME.fullmatch(name):
            raise BadInput(f"{what} name {name!r}: letters, digits, '_', '.', ':', '-' only")
    return f"{backend}/{server}"


def set_server_state(backend: str, server: str, state: str) -> str:
    """`set server B/S state ready|drain|maint`."""
    if state not in ADMIN_STATES:
        raise BadInput(f"server state {state!r}: use one of {', '.join(ADMIN_STATES)}")
    return f"set server {_target(backend, server)} state {state}"


def set_server_weight(backend: str, server: str, weight: int) -> str:
    """`set server B/S weight N` (0..256; 0 stops new traffic like drain)."""
    valid = isinstance(weight, int) and not isinstance(weight, bool)
    if not valid or not WEIGHT_MIN <= weight <= WEIGHT_MAX:
        raise BadInput(f"weight {weight!r}: must be an integer from {WEIGHT_MIN} to {WEIGHT_MAX}")
    return f"set server {_target(backend, server)} weight {weight}"


def set_server_addr(backend: str, server: str, address: str, port: int) -> str:
    """`set server B/S addr IP port P`: point a server at a replaced container at once."""
    if not re.fullmatch(r"[0-9a-fA-F.:]+", address):
        raise BadInput(f"server address {address!r}: an IPv4 or IPv6 address")
    return f"set server {_target(backend, server)} addr {address} port {port}"


def set_server_health(backend: str, server: str, health: HealthState) -> str:
    """`set server B/S health up|down`: down until `rise` checks pass again."""
    if health not in ("up", "down"):
        raise BadInput(f"server health {health!r}: use up or down")
    return f"set server {_target(backend, server)} health {health}"


def check_addr_reply(command: str, reply: str) -> None:
    """`set server ... addr` answers what it changed; anything else is a refusal."""
    text = " ".join(reply.split())
    if text and not text.startswith(("IP changed", "no need to change", "port changed")):
        raise RuntimeCommandFailed(command, text)


def batch(*commands: str) -> str:
    """Several commands as one line, run in order on one connection."""
    for command in commands:
        if not command or any(c in command for c in ";\n\r"):
            raise BadInput(f"runtime command {command!r} cannot be batched")
    return "; ".join(commands)


def check_set_reply(command: str, reply: str) -> None:
    """A `set server` succeeded if HAProxy answered nothing; else raise with its message."""
    text = reply.strip()
    if text:
        raise RuntimeCommandFailed(command, " ".join(text.split()))


@dataclass(frozen=True)
class ServerState:
    """One server of `show servers state`."""

    backend: str
    server: str
    address: str
    port: int | None
    op_state: str
    """stopped, starting, running or stopping."""
    admin_flags: int
    user_weight: int
    initial_weight: int

    @property
    def admin_state(self) -> AdminState:
        """What `set server ... state` would say: maint wins over drain."""
        if self.admin_flags & _ANY_MAINT:
            return "maint"
        if self.admin_flags & (_FDRAIN | _IDRAIN):
            return "drain"
        return "ready"

    @property
    def resolution_failed(self) -> bool:
        """In maintenance because its name did not resolve."""
        return bool(self.admin_flags & _RMAINT)


def parse_servers_state(reply: str) -> tuple[ServerState, ...]:
    """Parse the answer to `show servers state` (format version 1)."""
    lines = [line for line in reply.splitlines() if line.strip()]
    if not lines or lines[0].strip() != "1":
        raise RuntimeCommandFailed("show servers state", _first_line(reply))
    header: list[str] = []
    states: list[ServerState] = []
    for line in lines[1:]:
        if line.startswith("#"):
            header = line[1:].split()
            continue
        record = dict(zip(header, line.split(), strict=False))
        try:
            states.append(
                ServerState(
                    backend=record["be_name"],
                    server=record["srv_name"],
                    address=record.get("srv_addr", ""),
                    port=_int_or_none(record.get("srv_port")),
                    op_state=_OP_STATES.get(int(record["srv_op_state"]), "unknown"),
                    admin_flags=int(record["srv_admin_state"]),
                    user_weight=int(record["srv_uweight"]),
                    initial_weight=int(record["srv_iweight"]),
                )
            )
        except (KeyError, ValueError) as exc:
            raise RuntimeCommandFailed("show servers state", f"unreadable line {line!r}") from exc
    return tuple(states)


def server_state_file_content(reply: str, ports: Mapping[str, int] | None = None) -> str:
    """The server-state file to write before a reload, from a `show servers state` answer.

    `ports` (server name -> port in the NEW config; `config.server_ports()`)
    drops the servers whose port changes or that are gone: HAProxy 2.6 would
    otherwise keep the OLD port from the file (verified), silently ignoring the new config.
    """
    states = parse_servers_state(reply)  # refuse to save an error message as state
    if ports is not None:
        stale = {s.server for s in states if ports.get(s.server) != s.port}
    else:
        stale = set()
    kept: list[str] = []
    header: list[str] = []
    for line in (line for line in reply.splitlines() if line.strip()):
        if line.startswith("#"):
            header = line[1:].split()
        elif header and dict(zip(header, line.split(), strict=False)).get("srv_name") in stale:
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else "empty answer"


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "", "-") else None
    except ValueError:
        return None
