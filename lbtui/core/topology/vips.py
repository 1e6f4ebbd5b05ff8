"""The `vips:` section of a topology file: one HAProxy container and its pool per entry."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import Node, ScalarNode

from lbtui.core.topology import limits
from lbtui.core.topology import values as check
from lbtui.core.topology.model import HealthCheck, PoolMember, StatsPage, Timeouts, Vip
from lbtui.core.topology.yaml_nodes import TAG_STR, Reader, describe, join

VIP_KEYS = (
    "host",
    "container",
    "image",
    "network",
    "connect_bridge",
    "publish",
    "frontend_port",
    "balance",
    "servers",
    "health_check",
    "stats",
    "timeouts",
    "frontend",
    "backend",
    "log",
)
HEALTH_KEYS = ("method", "path", "version", "interval_ms", "rise", "fall")
STATS_KEYS = ("uri", "user", "password_env")
TIMEOUT_KEYS = ("connect_ms", "client_ms", "server_ms")
LOG_KEYS = ("target", "facility")
MEMBER_KEYS = ("backend", "weight")
PASSWORD_REFUSED = (
    "a password does not belong in the topology file (it gets shared and committed); "
    "set password_env to the name of an environment variable holding it, or leave "
    "password_env out and lbtui generates one and stores it with mode 0600"
)
#: The model's defaults for `log:` (Vip.log_target, Vip.log_facility).
DEFAULT_LOG = ("stdout format raw", "local0")


class VipReader:
    """Reads VIP entries, checking references against the declared hosts, networks, backends."""

    def __init__(self, reader: Reader, refs: dict[str, set[str] | None]) -> None:
        self.r = reader
        self.refs = refs

    def read(self, name: str, key_node: Node, node: Node) -> Vip | None:
        """One VIP, or None after reporting why it cannot be built."""
        r = self.r
        path = join("vips", name)
        name_ok = r.name(key_node, path, check.docker_name)
        fields = r.mapping(
            node,
            path,
            allowed=VIP_KEYS,
            required=("host", "image", "network", "publish", "servers"),
        )
        if fields is None:
            return None
        host = r.need(fields, "host", path, self._reference("host"))
        container = r.opt(
            fields, "container", path, lambda n, p: r.string(n, p, check.docker_name), name
        )
        image = r.need(fields, "image", path, lambda n, p: r.string(n, p, check.image_reference))
        network = r.need(fields, "network", path, self._reference("network"))
        connect_bridge = r.opt(fields, "connect_bridge", path, r.boolean, False)
        publish = r.need(
            fields, "publish", path, lambda n, p: r.integer(n, p, limits.PORT_MIN, limits.PORT_MAX)
        )
        frontend_port = r.opt(fields, "frontend_port", path, self._frontend_port, 80)
        balance = r.opt(
            fields, "balance", path, lambda n, p: r.string(n, p, check.balance), "roundrobin"
        )
        servers = r.need(fields, "servers", path, self._servers)
        health = r.opt(fields, "health_check", path, self._health, HealthCheck())
        stats = r.opt(fields, "stats", path, self._stats, StatsPage())
        timeouts = r.opt(fields, "timeouts", path, self._timeouts, Timeouts())
        frontend = r.opt(
            fields, "frontend", path, lambda n, p: r.string(n, p, check.section_name), "all"
        )
        backend = r.opt(
            fields, "backend", path, lambda n, p: r.string(n, p, check.section_name), ""
        )
        log = r.opt(fields, "log", path, self._log, DEFAULT_LOG)
        if not name_ok or host is None or image is None or network is None:
            return None
        if publish is None or servers is None:
            return None
        return Vip(
            name=name,
            host=host,
            container=container,
            image=image,
            network=network,
            publish=publish,
            servers=servers,
            frontend_port=frontend_port,
            connect_bridge=connect_bridge,
            balance=balance,
            health_check=health,
            stats=stats,
            timeouts=timeouts,
            frontend_name=frontend,
            backend_name=backend,
            log_target=log[0],
            log_facility=log[1],
        )

    def _reference(self, kind: str) -> Callable[[Node, str], str | None]:
        def read(node: Node, path: str) -> str | None:
            value = self.r.string(node, path)
            if value is None or not self.r.reference(node, path, value, kind, self.refs[kind]):
                return None
            return value

        return read

    def _frontend_port(self, node: Node, path: str) -> int | None:
        port = self.r.integer(node, path, limits.PORT_MIN, limits.PORT_MAX)
        if port == limits.RUNTIME_API_PORT:
            self.r.report(
                node,
                path,
                f"{port} is the port lbtui's runtime API listens on inside the LB; choose another",
            )
            return None
        return port

    def _servers(self, node: Node, path: str) -> tuple[PoolMember, ...] | None:
        items = self.r.sequence(node, path)
        if items is None:
            return None
        if not items:
            self.r.report(node, path, "the pool is empty; list at least one backend")
            return None
        members: list[PoolMember] = []
        first_index: dict[str, int] = {}
        complete = True
        for index, item in enumerate(items):
            member = self._member(item, join(path, index))
            if member is None:
                complete = False
                continue
            if member.backend in first_index:
                self.r.report(
                    item,
                    join(path, index),
                    f"'{member.backend}' is already in this pool "
                    f"({join('servers', first_index[member.backend])})",
                )
                complete = False
                continue
            first_index[member.backend] = index
            members.append(member)
        return tuple(members) if complete else None

    def _member(self, node: Node, path: str) -> PoolMember | None:
        r = self.r
        backend_ref = self._reference("backend")
        if isinstance(node, ScalarNode):
            if node.tag != TAG_STR:
                r.report(
                    node,
                    path,
                    "expected a backend name or {backend: NAME, weight: "
                    f"{limits.POOL_WEIGHT_MIN}..{limits.WEIGHT_MAX}}}, "
                    f"found {describe(node)}",
                )
                return None
            backend = backend_ref(node, path)
            return None if backend is None else PoolMember(backend)
        fields = r.mapping(node, path, allowed=MEMBER_KEYS, required=("backend",))
        if fields is None:
            return None
        backend = r.need(fields, "backend", path, backend_ref)
        weight = r.opt(
            fields,
            "weight",
            path,
            lambda n, p: r.integer(n, p, limits.POOL_WEIGHT_MIN, limits.WEIGHT_MAX),
            1,
        )
        return None if backend is None else PoolMember(backend, weight)

    def _health(self, node: Node, path: str) -> HealthCheck | None:
        r = self.r
        if r.is_null(node):
            return HealthCheck()
        fields = r.mapping(node, path, allowed=HEALTH_KEYS)
        if fields is None:
            return None
        default = HealthCheck()
        return HealthCheck(
            method=r.opt(
                fields,
                "method",
                path,
                lambda n, p: r.string(n, p, check.http_method),
                default.method,
            ),
            path=r.opt(
                fields, "path", path, lambda n, p: r.string(n, p, check.uri_path), default.path
            ),
            version=r.opt(
                fields,
                "version",
                path,
                lambda n, p: r.string(n, p, check.http_version),
                default.version,
            ),
            interval_ms=r.opt(
                fields,
                "interval_ms",
                path,
                lambda n, p: r.integer(n, p, limits.CHECK_INTERVAL_MIN_MS, limits.MAX_MS),
                default.interval_ms,
            ),
            rise=r.opt(
                fields,
                "rise",
                path,
                lambda n, p: r.integer(n, p, limits.CHECK_COUNT_MIN, limits.CHECK_COUNT_MAX),
                default.rise,
            ),
            fall=r.opt(
                fields,
                "fall",
                path,
                lambda n, p: r.integer(n, p, limits.CHECK_COUNT_MIN, limits.CHECK_COUNT_MAX),
                default.fall,
            ),
        )

    def _stats(self, node: Node, path: str) -> StatsPage | None:
        r = self.r
        if r.is_null(node):
            return StatsPage()
        fields = r.mapping(node, path, allowed=STATS_KEYS, refused={"password": PASSWORD_REFUSED})
        if fields is None:
            return None
        default = StatsPage()
        return StatsPage(
            uri=r.opt(
                fields, "uri", path, lambda n, p: r.string(n, p, check.uri_path), default.uri
            ),
            user=r.opt(
                fields, "user", path, lambda n, p: r.string(n, p, check.stats_user), default.user
            ),
            password_env=r.need(
                fields, "password_env", path, lambda n, p: r.string(n, p, check.env_name)
            ),
        )

    def _timeouts(self, node: Node, path: str) -> Timeouts | None:
        r = self.r
        if r.is_null(node):
            return Timeouts()
        fields = r.mapping(node, path, allowed=TIMEOUT_KEYS)
        if fields is None:
            return None
        default = Timeouts()

        def millis(key: str, fallback: int) -> int:
            return r.opt(
                fields, key, path, lambda n, p: r.integer(n, p, 1, limits.MAX_MS), fallback
            )

        return Timeouts(
            connect_ms=millis("connect_ms", default.connect_ms),
            client_ms=millis("client_ms", default.client_ms),
            server_ms=millis("server_ms", default.server_ms),
        )

    def _log(self, node: Node, path: str) -> tuple[str, str] | None:
        r = self.r
        if r.is_null(node):
            return DEFAULT_LOG
        fields = r.mapping(node, path, allowed=LOG_KEYS)
        if fields is None:
            return None
        target = r.opt(
            fields, "target", path, lambda n, p: r.string(n, p, check.log_target), DEFAULT_LOG[0]
        )
        facility = r.opt(
            fields, "facility", path, lambda n, p: r.string(n, p, check.facility), DEFAULT_LOG[1]
        )
        return target, facility
