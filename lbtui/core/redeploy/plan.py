"""What redeploying one VIP would change: the config diff, containers to add or remove, and how.

`plan_redeploy` re-reads and validates the topology file, renders the VIP's new
haproxy.cfg, reads the running one back from the LB container, and decides the
mode: nothing to do, a seamless reload (only the config changed), or a recreate
(image, ports or networks changed; the reason is spelled out). It changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from lbtui.core.actions.containers import container_change
from lbtui.core.actions.lb import render_vip
from lbtui.core.actions.specs import backend_request, lb_request
from lbtui.core.actions.steps import Change, Verdict
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.haproxy.config import CONFIG_PATH, config_diff
from lbtui.core.haproxy.config_text import ConfigUnreadable, parse, redact
from lbtui.core.haproxy.model import HaproxyConfig
from lbtui.core.services.spec import service_request, spec_differences
from lbtui.core.topology.limits import backend_of
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import LABEL_ROLE, LABEL_TOPOLOGY, Topology, Vip
from lbtui.core.topology.pools import pool_servers
from lbtui.core.topology.select import select_vip


class RedeployMode(StrEnum):
    """How the running LB is brought to the new configuration."""

    NONE = "none"
    """The running LB already has this configuration and spec."""
    RELOAD = "reload"
    """Only the configuration changed: validate inside the LB, then a seamless reload."""
    RECREATE = "recreate"
    """Image, ports or networks changed (or the LB is stopped): a new container is needed."""
    CREATE = "create"
    """There is no LB container yet."""


@dataclass(frozen=True)
class Removal:
    """A backend container the new configuration no longer uses and the topology dropped."""

    host: str
    name: str


@dataclass(frozen=True)
class RedeployPlan:
    """Everything `execute_redeploy` needs, decided before anything changes."""

    topology: Topology
    vip: Vip
    new_config: str
    new_hash: str
    running_config: str | None
    """The config file read back from the running LB (None: no LB, or no file)."""
    mode: RedeployMode
    reason: str
    lb_change: Change
    backends_to_launch: tuple[Change, ...] = ()
    containers_to_remove: tuple[Removal, ...] = ()
    servers_added: tuple[str, ...] = ()
    servers_removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    services_to_roll: tuple[Change, ...] = ()
    """Services of the pool whose spec changed: rolled task by task before the reload."""

    @cached_property
    def new_model(self) -> HaproxyConfig:
        """The new configuration, read back from its text."""
        return parse(self.new_config)

    @cached_property
    def running_model(self) -> HaproxyConfig | None:
        """The running configuration; None when there is none or lbtui cannot read it."""
        return read_running(self.running_config)[0]

    @property
    def diff(self) -> str:
        """Unified diff running -> new config (empty when identical), passwords masked."""
        old = redact_config(self.running_config or "")
        return config_diff(old, redact_config(self.new_config), "running", "new")

    @property
    def changes_anything(self) -> bool:
        """False when redeploying would leave everything as it is."""
        return (
            self.mode is not RedeployMode.NONE
            or bool(self.backends_to_launch)
            or bool(self.containers_to_remove)
            or bool(self.services_to_roll)
        )

    def describe(self) -> list[str]:
        """Human-readable lines: what will happen, in order."""
        lines = [f"VIP {self.vip.name} ({self.vip.container} on {self.vip.host})"]
        for change in self.backends_to_launch:
            lines.append(f"  launch backend first: {change.describe()}")
        for change in self.services_to_roll:
            lines.append(f"  roll service first, task by task: {change.describe()}")
        if self.servers_added:
            lines.append(f"  servers added to the pool: {', '.join(self.servers_added)}")
        if self.servers_removed:
            lines.append(f"  servers leaving the pool: {', '.join(self.servers_removed)}")
        mode_text = {
            RedeployMode.NONE: "no change: the running LB already has this configuration",
            RedeployMode.RELOAD: "seamless reload (no restart): " + self.reason,
            RedeployMode.RECREATE: "recreate the LB container: " + self.reason,
            RedeployMode.CREATE: "create the LB container: " + self.reason,
        }[self.mode]
        lines.append(f"  {mode_text}")
        for removal in self.containers_to_remove:
            lines.append(f"  remove afterwards: {removal.name} on {removal.host}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines


def redact_config(text: str) -> str:
    """The config with stats passwords masked: diffs are shown on terminals and in the UI."""
    return redact(text)


def read_running(text: str | None) -> tuple[HaproxyConfig | None, str | None]:
    """A running LB's config text as the model, or None and why it cannot be read."""
    if text is None:
        return None, None
    try:
        return parse(text), None
    except ConfigUnreadable as error:
        return None, str(error)


def config_servers(text: str | None) -> list[str]:
    """The server names of a haproxy.cfg, in order (none when it cannot be read)."""
    config = read_running(text)[0]
    return list(config.server_names) if config is not None else []


def plan_redeploy(topology_path: str | Path, vip_name: str, gateway: DockerGateway) -> RedeployPlan:
    """Re-read the topology file and decide how to bring the VIP's LB to it; changes nothing."""
    topology = load_topology(topology_path, check_files=True)
    vip = select_vip(topology, vip_name)
    return plan_vip_redeploy(topology, vip, gateway)


def plan_vip_redeploy(topology: Topology, vip: Vip, gateway: DockerGateway) -> RedeployPlan:
    """`plan_redeploy` for an already loaded topology."""
    rendered = render_vip(topology, vip)  # bad input fails here, before any host is contacted
    members = [topology.backends.get(m.backend) for m in vip.servers]
    needed = {vip.host} | {backend.host for backend in members if backend is not None}
    if topology.swarm is not None and any(m.backend in topology.services for m in vip.servers):
        needed.add(topology.swarm.manager)
    gateway.require_reachable(needed)
    found = gateway.find_container(vip.host, vip.container)
    lb_change = container_change(
        "lb", topology, vip.host, lb_request(topology, vip, rendered.hash), found
    )
    running: str | None = None
    if found is not None:
        data = gateway.read_file(vip.host, vip.container, CONFIG_PATH)
        running = data.decode("utf-8", errors="replace") if data is not None else None
    mode, reason = _mode(lb_change, running, rendered.text)
    old_servers = config_servers(running)
    new_servers = list(pool_servers(topology, vip))
    return RedeployPlan(
        topology=topology,
        vip=vip,
        new_config=rendered.text,
        new_hash=rendered.hash,
        running_config=running,
        mode=mode,
        reason=reason,
        lb_change=lb_change,
        backends_to_launch=tuple(_backends_to_launch(gateway, topology, vip)),
        containers_to_remove=tuple(_removals(gateway, topology, old_servers, new_servers)),
        servers_added=tuple(s for s in new_servers if s not in old_servers),
        servers_removed=tuple(s for s in old_servers if s not in new_servers),
        notes=_notes(lb_change, running, rendered.text),
        services_to_roll=tuple(_services_to_roll(gateway, topology, vip)),
    )


def _mode(lb_change: Change, running: str | None, new: str) -> tuple[RedeployMode, str]:
    if lb_change.verdict is Verdict.CREATE:
        return RedeployMode.CREATE, "no LB container yet"
    if lb_change.verdict in (Verdict.REPLACE, Verdict.START):
        return RedeployMode.RECREATE, lb_change.reason
    if running is None:
        return RedeployMode.RELOAD, "the LB has no configuration file"
    if running != new:
        return RedeployMode.RELOAD, "only the configuration changed"
    return RedeployMode.NONE, "configuration and container as specified"


def _backends_to_launch(gateway: DockerGateway, topology: Topology, vip: Vip) -> list[Change]:
    changes = []
    for member in vip.servers:
        backend = topology.backends.get(member.backend)
        if backend is None:
            continue  # a service: `apply` runs it, the LB follows its tasks through DNS
        wanted = backend_request(topology, backend)
        found = gateway.find_container(backend.host, backend.name)
        change = container_change("backend", topology, backend.host, wanted, found)
        if change.changes:
            changes.append(change)
    return changes


def _services_to_roll(gateway: DockerGateway, topology: Topology, vip: Vip) -> list[Change]:
    """The pool's deployed services whose spec differs from the file (apply creates the rest)."""
    members = [topology.services[m.backend] for m in vip.servers if m.backend in topology.services]
    if not members or topology.swarm is None:
        return []
    manager = topology.swarm.manager
    if not gateway.swarm_state(manager).is_manager:
        return []
    services = gateway.services(manager)
    changes = []
    for service in members:
        found = services.find_service(service.name)
        if found is None or not topology.owns(found.labels):
            continue
        differences = spec_differences(found.labels, service_request(topology, service))
        if differences:
            reason = "; ".join(differences)
            changes.append(Change("service", service.name, manager, Verdict.UPDATE, reason))
    return changes


def _removals(
    gateway: DockerGateway, topology: Topology, old: list[str], new: list[str]
) -> list[Removal]:
    """Servers the running config used that the topology no longer declares at all."""
    removals = []
    for name in old:
        backend = backend_of(name, topology.services)
        if name in new or backend in topology.backends or backend in topology.services:
            continue
        labels = {LABEL_TOPOLOGY: topology.name, LABEL_ROLE: "backend"}
        for host in sorted(topology.hosts):
            for container in gateway.list_containers(host, labels):
                if container.name == backend:
                    removals.append(Removal(host, backend))
    return removals


def _notes(lb_change: Change, running: str | None, new: str) -> tuple[str, ...]:
    notes = []
    if lb_change.verdict is Verdict.REPLACE:
        notes.append(
            "recreating the LB interrupts the VIP briefly: in-flight and new connections fail "
            "until the new container listens"
        )
    old, unreadable = read_running(running)
    if unreadable is not None:
        notes.append(f"the running configuration is replaced as a whole: {unreadable}")
    if old is not None:
        if old.defaults.stats_auth != parse(new).defaults.stats_auth:
            notes.append("the stats page password changes")
        settings = old.global_settings
        if settings.runtime_socket is None and settings.runtime_tcp_port is None:
            notes.append("the running LB has no runtime API; server state cannot be carried over")
    return tuple(notes)
