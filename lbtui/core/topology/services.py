"""The `services:` section of a topology file: swarm services that VIPs follow through DNS."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from yaml.nodes import Node

from lbtui.core.topology import limits
from lbtui.core.topology import values as check
from lbtui.core.topology.model import Service, UpdateOrder, UpdateSettings
from lbtui.core.topology.yaml_nodes import Reader, join, suggestion

SERVICE_KEYS = (
    "image",
    "network",
    "port",
    "replicas",
    "placement",
    "environment",
    "command",
    "update",
)
UPDATE_KEYS = ("parallelism", "order")
ORDERS: tuple[UpdateOrder, ...] = ("start-first", "stop-first")


class ServiceReader:
    """Reads service entries, checking references against the declared hosts and networks."""

    def __init__(
        self,
        reader: Reader,
        refs: dict[str, set[str] | None],
        command: Callable[[Node, str], tuple[str, ...] | None],
        environment: Callable[[Node, str], tuple[tuple[str, str], ...] | None],
    ) -> None:
        """`command` and `environment` read those keys the way backends do."""
        self.r = reader
        self.refs = refs
        self._command = command
        self._environment = environment

    def read(self, name: str, key_node: Node, node: Node) -> Service | None:
        """One service, or None after reporting why it cannot be built."""
        r = self.r
        path = join("services", name)
        name_ok = r.name(key_node, path, check.docker_name)
        fields = r.mapping(node, path, allowed=SERVICE_KEYS, required=("image", "network"))
        if fields is None:
            return None
        image = r.need(fields, "image", path, lambda n, p: r.string(n, p, check.image_reference))
        network = r.need(fields, "network", path, self._network)
        port = r.opt(
            fields,
            "port",
            path,
            lambda n, p: r.integer(n, p, limits.PORT_MIN, limits.PORT_MAX),
            80,
        )
        replicas = r.opt(
            fields,
            "replicas",
            path,
            lambda n, p: r.integer(n, p, 1, limits.SERVICE_REPLICAS_MAX),
            1,
        )
        no_hosts: tuple[str, ...] = ()
        placement = r.opt(fields, "placement", path, self._placement, no_hosts)
        command = r.need(fields, "command", path, self._command)
        no_environment: tuple[tuple[str, str], ...] = ()
        environment = r.opt(fields, "environment", path, self._environment, no_environment)
        update = r.opt(fields, "update", path, self._update, UpdateSettings())
        if not name_ok or image is None or network is None:
            return None
        return Service(
            name=name,
            image=image,
            network=network,
            port=port,
            replicas=replicas,
            placement=placement,
            command=command,
            environment=environment,
            update=update,
        )

    def _network(self, node: Node, path: str) -> str | None:
        value = self.r.string(node, path)
        known = self.refs["network"]
        if value is None or not self.r.reference(node, path, value, "network", known):
            return None
        return value

    def _placement(self, node: Node, path: str) -> tuple[str, ...] | None:
        items = self.r.sequence(node, path)
        if items is None:
            return None
        if not items:
            self.r.report(node, path, "no host listed; leave placement out to run on any host")
            return None
        hosts: list[str] = []
        complete = True
        for index, item in enumerate(items):
            where = join(path, index)
            host = self.r.string(item, where)
            if host is None or not self.r.reference(item, where, host, "host", self.refs["host"]):
                complete = False
            elif host in hosts:
                self.r.report(item, where, f"host '{host}' is already listed")
                complete = False
            else:
                hosts.append(host)
        return tuple(hosts) if complete else None

    def _update(self, node: Node, path: str) -> UpdateSettings | None:
        r = self.r
        if r.is_null(node):
            return UpdateSettings()
        fields = r.mapping(node, path, allowed=UPDATE_KEYS)
        if fields is None:
            return None
        default = UpdateSettings()
        parallelism = r.opt(
            fields,
            "parallelism",
            path,
            lambda n, p: r.integer(n, p, 1, limits.SERVICE_REPLICAS_MAX),
            default.parallelism,
        )
        order = r.opt(fields, "order", path, self._order, default.order)
        return UpdateSettings(parallelism=parallelism, order=order)

    def _order(self, node: Node, path: str) -> UpdateOrder | None:
        def allowed(value: str) -> str | None:
            if value in ORDERS:
                return None
            hint = suggestion(value, ORDERS)
            return f"unknown order '{value}'{hint or '; allowed: start-first, stop-first'}"

        return cast("UpdateOrder | None", self.r.string(node, path, allowed))
