"""What a fault is: its kind, its validated parameters, and an active fault as read back.

`FaultRequest` is what the user asks for (checked here, before any host is
touched); `ActiveFault` is what the engines hold, as `readback` rebuilt it from
the marks. Both are frozen, so the dashboard can pass them between threads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from lbtui.core.errors import BadInput


class FaultKind(StrEnum):
    """The faults lbtui can inject."""

    PAUSE = "pause"
    """Freeze the container (Docker pause): the kernel still answers SYNs, the server never."""
    DISCONNECT = "disconnect"
    """Cut the container from the topology's network; clearing reconnects it."""
    LOSS = "loss"
    """Drop `percent` % of the packets it receives and of those it sends."""
    RATE = "rate"
    """Limit what it sends to `kbit` kbit/s (a TBF queue on each interface)."""
    DELAY = "delay"
    """Add `ms` milliseconds to what it sends (needs the kernel's netem)."""
    DOWN = "down"
    """`host:NAME down`: every topology container on that host drops every packet."""


#: The prefix of a whole-host target.
HOST_PREFIX = "host:"
#: The image of the helper container that applies faults on engines lbtui cannot reach
#: from this machine's side (tcp, ssh). The lab builds it; elsewhere, any image with
#: iptables (the nft variant), tc, ip and sleep will do.
DEFAULT_HELPER_IMAGE = "lbtui/fault-helper:lab"

Via = Literal["auto", "host", "helper"]
"""How to reach a container's network namespace: from this machine (nsenter), through a
helper container sharing it, or whichever works (host side for local engines when root)."""
VIAS: tuple[Via, ...] = ("auto", "host", "helper")

#: Parameter name -> (kind it belongs to, smallest, largest, unit).
LIMITS: dict[str, tuple[FaultKind, float, float, str]] = {
    "percent": (FaultKind.LOSS, 0.1, 100.0, "%"),
    "kbit": (FaultKind.RATE, 8, 10_000_000, "kbit/s"),
    "ms": (FaultKind.DELAY, 1, 60_000, "ms"),
}


@dataclass(frozen=True)
class FaultOptions:
    """How faults reach the engines (the same for add, list and clear)."""

    via: Via = "auto"
    helper_image: str = DEFAULT_HELPER_IMAGE


@dataclass(frozen=True)
class FaultRequest:
    """A fault to add: on which target, of which kind, with its one parameter if any."""

    target: str
    kind: FaultKind
    percent: float | None = None
    kbit: int | None = None
    ms: int | None = None

    @property
    def host_target(self) -> str | None:
        """The host's name for a `host:NAME` target, else None."""
        return self.target[len(HOST_PREFIX) :] if self.target.startswith(HOST_PREFIX) else None

    def parameter(self) -> str:
        """The parameter as the user wrote it (`30 %`), or '' for kinds without one."""
        for name, (kind, _low, _high, unit) in LIMITS.items():
            value = getattr(self, name)
            if kind is self.kind and value is not None:
                return f"{value:g} {unit}"
        return ""


def fault_request(
    target: str,
    kind: str,
    percent: float | None = None,
    kbit: int | None = None,
    ms: int | None = None,
) -> FaultRequest:
    """A checked request; BadInput naming what is wrong (nothing has been touched yet)."""
    try:
        fault_kind = FaultKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in FaultKind)
        raise BadInput(f"unknown fault kind {kind!r} (kinds: {kinds})") from None
    request = FaultRequest(target, fault_kind, percent, kbit, ms)
    is_host = request.host_target is not None
    if is_host and not request.host_target:
        raise BadInput("`host:` needs a host name, e.g. `host:docker3`")
    if is_host and fault_kind is not FaultKind.DOWN:
        raise BadInput(f"a whole host takes only `down`, not `{kind}` (e.g. `{target} down`)")
    if not is_host and fault_kind is FaultKind.DOWN:
        raise BadInput(f"`down` is for a whole host: `host:NAME down`, not `{target} down`")
    for name, (owner, low, high, unit) in LIMITS.items():
        value = getattr(request, name)
        if owner is fault_kind and value is None:
            raise BadInput(f"`{kind}` needs --{name} (from {low:g} to {high:g} {unit})")
        if owner is not fault_kind and value is not None:
            raise BadInput(f"--{name} goes only with `{owner.value}`, not `{kind}`")
        if value is not None and not low <= value <= high:
            raise BadInput(f"--{name} {value:g}: must be from {low:g} to {high:g} {unit}")
    return request


@dataclass(frozen=True)
class ActiveFault:
    """A fault the engines hold now, rebuilt from its marks."""

    target: str
    """The backend or LB container, or `host:NAME`."""
    kind: FaultKind
    host: str
    containers: tuple[str, ...]
    percent: float | None = None
    kbit: int | None = None
    ms: int | None = None
    network: str | None = None
    """For `disconnect`: the network it was cut from."""
    aliases: tuple[str, ...] = ()
    """For `disconnect`: its aliases on that network, restored on clear."""
    since: float | None = None
    """Epoch seconds when it was applied (from the mark)."""
    problems: tuple[str, ...] = field(default_factory=tuple)
    """Marks found without their effect, e.g. a pause mark on a running container."""

    def parameter(self) -> str:
        """The fault's parameter for display (`30 %`, `512 kbit/s`), or ''."""
        if self.percent is not None:
            return f"{self.percent:g} %"
        if self.kbit is not None:
            return f"{self.kbit} kbit/s"
        if self.ms is not None:
            return f"{self.ms} ms"
        if self.network is not None:
            return f"from {self.network}"
        return ""

    def describe(self, now: float | None = None) -> str:
        """One line: `web2 loss 30 % (docker3, 12 s ago)`."""
        parts = [self.target, self.kind.value]
        if self.parameter():
            parts.append(self.parameter())
        where = [self.host]
        if self.since is not None:
            where.append(f"{max(0.0, (now or time.time()) - self.since):.0f} s ago")
        text = f"{' '.join(parts)} ({', '.join(where)})"
        return f"{text}; {'; '.join(self.problems)}" if self.problems else text

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "target": self.target,
            "kind": self.kind.value,
            "host": self.host,
            "containers": list(self.containers),
            "percent": self.percent,
            "kbit": self.kbit,
            "ms": self.ms,
            "network": self.network,
            "aliases": list(self.aliases),
            "since": self.since,
            "problems": list(self.problems),
        }
