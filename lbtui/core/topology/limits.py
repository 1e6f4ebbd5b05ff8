"""Names and ranges shared by topology validation, haproxy.cfg rendering and the runtime API.

Defined here, in the bottom layer, so that what a topology file may say, what the
renderer writes and what the runtime API sends cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Collection

#: HAProxy frontend, backend and server names (section and server identifiers).
HAPROXY_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
HAPROXY_NAME_ALLOWED = "letters, digits, '_.:-'"

#: A pool member's server name, which is also its address (a DNS name): HAPROXY_NAME without ':'.
SERVER_NAME = re.compile(r"[A-Za-z0-9_.-]+")

#: HAProxy's own server weight range (`weight N`, `set server B/S weight N`). Weight 0 is
#: legal there: the server takes no new traffic, like a drain.
WEIGHT_MIN = 0
WEIGHT_MAX = 256
#: The lowest weight a topology file may give a pool member. Not 0: a member declared with
#: weight 0 would never take traffic, so it would be no member at all. Taking a server out
#: for a while is a runtime change (`drain`, or weight 0 through the runtime API), which
#: the next topology redeploy undoes.
POOL_WEIGHT_MIN = 1

#: TCP ports (published, frontend and backend ports).
PORT_MIN = 1
PORT_MAX = 65535
#: The loopback port of the LB's runtime API (`stats socket ipv4@127.0.0.1:PORT`), inside the
#: LB's network namespace: a VIP's frontend cannot listen on it too.
RUNTIME_API_PORT = 9999

#: Characters HAProxy's configuration parser reads literally in an unquoted word: no quote,
#: backslash, '#' (comment), '$' or whitespace, which it would interpret.
HAPROXY_PLAIN_CHARS = r"A-Za-z0-9_.,:;/@%+=~^!?*()\[\]{}<>|&-"
#: Values lbtui writes into haproxy.cfg as they are (a log target, a balance algorithm with its
#: arguments): plain words separated by spaces, so no value can end a line or open a quote.
HAPROXY_WORDS = re.compile(rf"[{HAPROXY_PLAIN_CHARS}]+(?: +[{HAPROXY_PLAIN_CHARS}]+)*")
HAPROXY_WORDS_ALLOWED = (
    "words of letters, digits and '_.,:;/@%+=~^!?*()[]{}<>|&-' separated by spaces "
    "(no quotes, backslashes, '#' or '$')"
)

#: Health check interval (ms): HAProxy's `inter`; below 100 ms the checks would be a load.
CHECK_INTERVAL_MIN_MS = 100
#: Health check `rise` and `fall` counts.
CHECK_COUNT_MIN = 1
CHECK_COUNT_MAX = 100
#: Upper bound of every millisecond setting (timeouts, check interval): one day.
MAX_MS = 86_400_000


#: The most replicas a service may have. HAProxy follows a service through a
#: `server-template` of exactly this many slots (it cannot grow one at run time), so it is
#: also the number of servers a service adds to its VIP's backend, unused ones in MAINT.
SERVICE_REPLICAS_MAX = 32
#: Between a service's name and a slot number in its HAProxy server names (`web.1`).
#: Not '-' or '_', which backend names use for numbering (`web-1`), nor ':', which
#: HAProxy refuses in a server-template prefix.
SLOT_SEPARATOR = "."


def server_name(backend: str) -> str:
    """The HAProxy server name of pool member `backend`: the backend's own name, unchanged.

    lbtui names every server after its backend container and addresses it by that
    same name (Docker's DNS resolves container names). So the stats CSV's `svname`,
    the runtime API's `B/S` and the server-state file's `srv_name` all carry the
    backend's name, and `backend_of` maps them back without any table.

    A service is the exception: HAProxy names its template slots itself, `slot_names`.
    """
    return backend


def slot_prefix(service: str) -> str:
    """The `server-template` prefix of a service: HAProxy appends the slot number."""
    return f"{service}{SLOT_SEPARATOR}"


def slot_names(service: str, slots: int = SERVICE_REPLICAS_MAX) -> tuple[str, ...]:
    """The HAProxy server names of a service's slots, `web.1` .. `web.32`."""
    return tuple(f"{slot_prefix(service)}{number}" for number in range(1, slots + 1))


def slot_service(server: str) -> str | None:
    """The service whose template slot `server` names, or None when it names no slot."""
    service, separator, number = server.rpartition(SLOT_SEPARATOR)
    if not separator or not service or not number.isdigit() or number.startswith("0"):
        return None
    return service if 1 <= int(number) <= SERVICE_REPLICAS_MAX else None


def backend_of(server: str, services: Collection[str] = ()) -> str:
    """The pool member an HAProxy server name stands for: its backend, or its service.

    `services` are the names of the services in the pool: a slot (`web.3`) maps to its
    service (`web`) only when that service is one of them, so a backend that happens to
    be called `web.3` keeps its name (topology rules refuse such a pair in one file).
    """
    service = slot_service(server)
    return service if service is not None and service in services else server
