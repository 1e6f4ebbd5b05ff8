"""The topology schema: top level, hosts, swarm, networks and backends (VIPs: `vips`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from yaml.nodes import MappingNode, Node

from lbtui.core.topology import values as check
from lbtui.core.topology.limits import PORT_MAX, PORT_MIN
from lbtui.core.topology.model import (
    Backend,
    Host,
    Network,
    NetworkDriver,
    Swarm,
    TlsFiles,
    Topology,
)
from lbtui.core.topology.rules import check_topology
from lbtui.core.topology.vips import VipReader
from lbtui.core.topology.yaml_nodes import Reader, flatten, join, suggestion

T = TypeVar("T")

TOP_KEYS = ("name", "id", "hosts", "swarm", "networks", "backends", "vips")
HOST_KEYS = ("url", "address", "tls", "insecure")
TLS_KEYS = ("ca", "cert", "key")
NETWORK_KEYS = ("driver", "internal", "attachable", "subnet")
BACKEND_KEYS = ("host", "image", "network", "port", "command", "environment")
DRIVERS: tuple[NetworkDriver, ...] = ("overlay", "bridge")


class TopologyReader:
    """Turns the root mapping into a Topology, reporting through the Reader."""

    def __init__(self, reader: Reader, folder: Path, check_files: bool) -> None:
        """Relative TLS paths resolve against `folder`; `check_files` requires them to exist."""
        self.r = reader
        self.folder = folder
        self.check_files = check_files

    def read(self, root: Node) -> Topology | None:
        """The topology, or None when problems leave too little to build one."""
        fields = self.r.mapping(root, "", allowed=TOP_KEYS, required=("name", "hosts"))
        if fields is None:
            return None
        name = self.r.need(fields, "name", "", lambda n, p: self.r.string(n, p, check.label_value))
        topology_id = self.r.opt(
            fields, "id", "", lambda n, p: self.r.string(n, p, check.label_value), ""
        )
        hosts = self._section(fields, "hosts", self._host)
        host_names = self._declared(fields, "hosts")
        swarm = self._swarm(fields.get("swarm"), host_names)
        networks = self._section(fields, "networks", self._network)
        refs = {
            "host": host_names,
            "network": self._declared(fields, "networks"),
            "backend": self._declared(fields, "backends"),
        }
        backends = self._section(fields, "backends", lambda *a: self._backend(*a, refs=refs))
        vip_reader = VipReader(self.r, refs)
        vips = self._section(fields, "vips", vip_reader.read)
        if name is None:
            return None
        topology = Topology(
            name=name,
            hosts=hosts,
            networks=networks,
            backends=backends,
            vips=vips,
            swarm=swarm,
            id=topology_id,
        )
        check_topology(topology, self.r, swarm_given="swarm" in fields)
        return topology

    def _declared(self, fields: dict[str, Node], section: str) -> set[str] | None:
        """Every name a section declares, valid or not; None when the section is unreadable."""
        node = fields.get(section)
        if node is None or self.r.is_null(node):
            return set()
        if not isinstance(node, MappingNode):
            return None
        return {str(key.value) for key, _ in flatten(node)}

    def _section(
        self, fields: dict[str, Node], section: str, read: Callable[[str, Node, Node], T | None]
    ) -> dict[str, T]:
        node = fields.get(section)
        if node is None or (self.r.is_null(node) and section != "hosts"):
            return {}
        items = self.r.names(node, section)
        result: dict[str, T] = {}
        if section == "hosts" and items == []:
            self.r.report(node, section, "declare at least one host")
        for name, key_node, value_node in items or []:
            before = len(self.r.problems)
            item = read(name, key_node, value_node)
            # An item with any problem is left out, so cross-field rules never judge
            # it on defaults standing in for the values that were wrong.
            if item is not None and len(self.r.problems) == before:
                result[name] = item
        return result

    def _host(self, name: str, key_node: Node, node: Node) -> Host | None:
        path = join("hosts", name)
        name_ok = self.r.name(key_node, path, check.docker_name)
        fields = self.r.mapping(node, path, allowed=HOST_KEYS, required=("url",))
        if fields is None:
            return None
        url = self.r.need(fields, "url", path, lambda n, p: self.r.string(n, p, check.docker_url))
        address = self.r.need(
            fields, "address", path, lambda n, p: self.r.string(n, p, check.address)
        )
        insecure = self.r.opt(fields, "insecure", path, self.r.boolean, False)
        tls = self._tls(fields.get("tls"), join(path, "tls"))
        if url is not None:
            self._transport_rules(path, url, fields, tls, insecure)
        if url is None or not name_ok:
            return None
        return Host(name=name, url=url, address=address, tls=tls, insecure=insecure)

    def _transport_rules(
        self, path: str, url: str, fields: dict[str, Node], tls: TlsFiles | None, insecure: bool
    ) -> None:
        scheme = url.partition("://")[0]
        if scheme == "tcp":
            if "tls" not in fields and not insecure:
                self.r.report(
                    fields["url"],
                    join(path, "url"),
                    "tcp:// needs tls: {ca, cert, key}; plain TCP only with insecure: true",
                )
            if "tls" in fields and insecure:
                self.r.report(
                    fields["insecure"],
                    join(path, "insecure"),
                    "insecure: true contradicts tls:; keep one of them",
                )
            return
        for key in ("tls", "insecure"):
            if key in fields and (key == "tls" or insecure):
                self.r.report(
                    fields[key],
                    join(path, key),
                    f"{key}: applies only to tcp:// urls, not {scheme}://",
                )

    def _tls(self, node: Node | None, path: str) -> TlsFiles | None:
        if node is None:
            return None
        fields = self.r.mapping(node, path, allowed=TLS_KEYS, required=TLS_KEYS)
        if fields is None:
            return None
        files = [self.r.need(fields, key, path, self._file) for key in TLS_KEYS]
        if any(f is None for f in files):
            return None
        ca, cert, key = cast(list[Path], files)
        return TlsFiles(ca=ca, cert=cert, key=key)

    def _file(self, node: Node, path: str) -> Path | None:
        text = self.r.string(node, path, check.nonempty)
        if text is None:
            return None
        try:
            file = Path(text).expanduser()
        except RuntimeError:
            self.r.report(node, path, f"cannot expand '{text}': unknown user or no home folder")
            return None
        if not file.is_absolute():
            file = self.folder / file
        if self.check_files and not file.is_file():
            self.r.report(node, path, f"file {file} does not exist")
            return None
        return file

    def _swarm(self, node: Node | None, hosts: set[str] | None) -> Swarm | None:
        if node is None or self.r.is_null(node):
            return None
        fields = self.r.mapping(node, "swarm", allowed=("manager",), required=("manager",))
        if fields is None:
            return None
        manager = self.r.need(fields, "manager", "swarm", self.r.string)
        if manager is None:
            return None
        if not self.r.reference(fields["manager"], "swarm.manager", manager, "host", hosts):
            return None
        return Swarm(manager=manager)

    def _network(self, name: str, key_node: Node, node: Node) -> Network | None:
        path = join("networks", name)
        name_ok = self.r.name(key_node, path, check.network_name)
        if self.r.is_null(node):
            return Network(name=name) if name_ok else None
        fields = self.r.mapping(node, path, allowed=NETWORK_KEYS)
        if fields is None:
            return None
        driver: NetworkDriver = self.r.opt(fields, "driver", path, self._driver, "overlay")
        internal = self.r.opt(fields, "internal", path, self.r.boolean, False)
        attachable = self.r.opt(fields, "attachable", path, self.r.boolean, True)
        subnet = self.r.need(fields, "subnet", path, lambda n, p: self.r.string(n, p, check.subnet))
        if not name_ok:
            return None
        return Network(name, driver, internal=internal, attachable=attachable, subnet=subnet)

    def _driver(self, node: Node, path: str) -> NetworkDriver | None:
        def allowed(value: str) -> str | None:
            if value in DRIVERS:
                return None
            hint = suggestion(value, DRIVERS)
            return f"unknown driver '{value}'{hint or '; allowed: overlay, bridge'}"

        return cast("NetworkDriver | None", self.r.string(node, path, allowed))

    def _backend(
        self, name: str, key_node: Node, node: Node, *, refs: dict[str, set[str] | None]
    ) -> Backend | None:
        path = join("backends", name)
        name_ok = self.r.name(key_node, path, check.docker_name)
        fields = self.r.mapping(
            node, path, allowed=BACKEND_KEYS, required=("host", "image", "network")
        )
        if fields is None:
            return None
        host = self.r.need(fields, "host", path, self.r.string)
        image = self.r.need(
            fields, "image", path, lambda n, p: self.r.string(n, p, check.image_reference)
        )
        network = self.r.need(fields, "network", path, self.r.string)
        port = self.r.opt(
            fields, "port", path, lambda n, p: self.r.integer(n, p, PORT_MIN, PORT_MAX), 80
        )
        command = self.r.need(fields, "command", path, self._command)
        no_environment: tuple[tuple[str, str], ...] = ()
        environment = self.r.opt(fields, "environment", path, self._environment, no_environment)
        host_ok = host is not None and self.r.reference(
            fields["host"], join(path, "host"), host, "host", refs["host"]
        )
        network_ok = network is not None and self.r.reference(
            fields["network"], join(path, "network"), network, "network", refs["network"]
        )
        if not (name_ok and host_ok and network_ok) or host is None or network is None:
            return None
        if image is None:
            return None
        return Backend(name, host, image, network, port, command, environment)

    def _command(self, node: Node, path: str) -> tuple[str, ...] | None:
        items = self.r.sequence(node, path)
        if items is None:
            return None
        if not items:
            self.r.report(node, path, "an empty command; leave the key out to use the image's")
            return None
        words = [self.r.string(item, join(path, i)) for i, item in enumerate(items)]
        return None if any(w is None for w in words) else tuple(cast(list[str], words))

    def _environment(self, node: Node, path: str) -> tuple[tuple[str, str], ...] | None:
        items = self.r.names(node, path)
        if items is None:
            return None
        pairs: list[tuple[str, str]] = []
        for name, key_node, value_node in items:
            name_ok = self.r.name(key_node, join(path, name), check.env_name)
            value = self.r.string(value_node, join(path, name))
            if name_ok and value is not None:
                pairs.append((name, value))
        return tuple(pairs)
