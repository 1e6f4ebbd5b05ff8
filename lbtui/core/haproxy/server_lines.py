"""`server` and `server-template` lines of a backend: rendered and parsed here, nowhere else.

    server web1 web1:80 check inter 2000ms ... init-addr libc,last resolvers docker ...
    server-template web. 1-32 tasks.web:80 check inter 2000ms ... init-addr none resolvers ...

A template is how HAProxy follows a swarm service: `tasks.NAME` resolves (through the
`resolvers` section) to one address per running task, each taking a slot; slots with
no address stay in MAINT. `config_text` uses these for the backend section.
"""

from __future__ import annotations

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.model import Server
from lbtui.core.topology.limits import HAPROXY_NAME, HAPROXY_WORDS, HAPROXY_WORDS_ALLOWED

_SERVER_OPTIONS = {
    *("inter", "fastinter", "rise", "fall", "weight", "init-addr", "resolvers", "resolve-prefer")
}


class UnknownLine(ValueError):
    """A line lbtui never writes in this section."""


def render_server(server: Server) -> str:
    """The `server` (or `server-template`) line of `server`."""
    target = f"{name(server.address)}:{server.port} check"
    if server.slots is None:
        words = [f"server {name(server.name)} {target}"]
    else:
        words = [f"server-template {name(server.name)} 1-{server.slots} {target}"]
    words.append(f"inter {server.inter_ms}ms")
    if server.fastinter_ms is not None:
        words.append(f"fastinter {server.fastinter_ms}ms")
    words.append(f"rise {server.rise} fall {server.fall} weight {server.weight}")
    if server.init_addr is not None:
        # Explicit: with `resolvers`, 2.6 would otherwise start with an unresolvable
        # server disabled instead of failing, and `haproxy -c` would pass. A template's
        # `none` is the opposite on purpose: slots without a task wait in MAINT.
        words.append(f"init-addr {raw(server.init_addr, 'init-addr')}")
    if server.resolvers is not None:
        # Re-resolved at run time: a backend recreated with a new IP is found again.
        words.append(f"resolvers {name(server.resolvers)} resolve-prefer ipv4")
    return " ".join(words)


def parse_server(words: list[str]) -> Server:
    """The Server a `server` or `server-template` line (split in words) declares."""
    slots: int | None = None
    if words[0] == "server-template":
        first, dash, last = words[2].partition("-")
        if first != "1" or not dash:
            raise UnknownLine(f"template slots {words[2]!r} do not start at 1")
        slots = int(last)
        words = [words[0], words[1], *words[3:]]
    if words[3] != "check" or len(words) % 2 != 0:
        raise UnknownLine("a server line lbtui does not write")
    address, port = words[2].rsplit(":", 1)
    options = dict(zip(words[4::2], words[5::2], strict=True))
    if not set(options) <= _SERVER_OPTIONS or options.get("resolve-prefer", "ipv4") != "ipv4":
        raise UnknownLine(f"server options {' '.join(words[4:])!r}")
    fastinter = options.get("fastinter")
    return Server(
        name=words[1],
        address=address,
        port=int(port),
        weight=int(options["weight"]),
        inter_ms=millis(options["inter"]),
        fastinter_ms=millis(fastinter) if fastinter is not None else None,
        rise=int(options["rise"]),
        fall=int(options["fall"]),
        init_addr=options.get("init-addr"),
        resolvers=options.get("resolvers"),
        slots=slots,
    )


def millis(text: str) -> int:
    """`2000ms` -> 2000; lbtui writes every duration in milliseconds."""
    if not text.endswith("ms"):
        raise UnknownLine(f"{text!r} is not in milliseconds")
    return int(text.removesuffix("ms"))


def raw(value: str, what: str) -> str:
    """A value written as it is (possibly several words): only what HAProxy reads literally."""
    # The topology rules hold log targets and balance arguments to this same alphabet.
    if not HAPROXY_WORDS.fullmatch(value):
        raise BadInput(f"{what} {value!r}: must be {HAPROXY_WORDS_ALLOWED}")
    return value


def name(value: str) -> str:
    """A section, server or address name, refused unless HAProxy reads it as one word."""
    if not HAPROXY_NAME.fullmatch(value):
        raise BadInput(f"{value!r} cannot be written into haproxy.cfg as a name")
    return value
