"""`lbtui validate|plan|apply|status|teardown TOPOLOGY`: the actions, headless."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lbtui.core.actions import STEPS, Change, apply, collect_status, plan, teardown
from lbtui.core.actions.status import TopologyStatus
from lbtui.core.docker_hosts import DockerHosts
from lbtui.core.errors import LbtuiError
from lbtui.core.model import Topology
from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.topology import load_topology

Handler = Callable[[argparse.Namespace], int]

_PHASE_STYLE = {
    Phase.STARTED: "cyan",
    Phase.DONE: "green",
    Phase.SKIPPED: "dim",
    Phase.FAILED: "bold red",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add validate, plan, apply, status and teardown."""
    verbs: list[tuple[str, str, Handler]] = [
        ("validate", "check a topology file; contacts no host", _validate),
        ("plan", "show what apply would do, changing nothing", _plan),
        ("apply", "bring the hosts to the topology (overlay, backends, LB, bridge)", _apply),
        ("status", "hosts, networks, containers and VIPs of a topology", _status),
        ("teardown", "remove everything lbtui created for a topology", _teardown),
    ]
    for name, help_text, handler in verbs:
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
        parser.set_defaults(handler=_guarded(handler))
        if name == "apply":
            parser.add_argument("--step", choices=STEPS, help="run only this step")
        if name == "status":
            parser.add_argument("--json", action="store_true", help="print JSON")
        if name == "teardown":
            parser.add_argument(
                "--leave-swarm", action="store_true", help="also make the hosts leave the swarm"
            )


def _guarded(handler: Handler) -> Handler:
    """Print lbtui's errors (HAProxy's messages hold brackets: no markup) with their exit code."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except LbtuiError as error:
            console = Console(stderr=True, highlight=False, soft_wrap=True)
            console.print(f"[bold red]error:[/] {escape(str(error))}")
            return error.exit_code

    return run


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _load(args: argparse.Namespace) -> Topology:
    return load_topology(args.topology, check_files=True)


def _gateway(topology: Topology, console: Console) -> DockerHosts:
    hosts = DockerHosts(topology)
    for warning in hosts.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    return hosts


def _reporter(console: Console) -> Callable[[ProgressEvent], None]:
    def report(event: ProgressEvent) -> None:
        style = _PHASE_STYLE[event.phase]
        console.print(f"[{style}]{escape(event.describe())}[/]")

    return report


def _validate(args: argparse.Namespace) -> int:
    topology = _load(args)
    _console().print(
        f"[green]valid:[/] {escape(args.topology)}: topology {escape(topology.name)}, "
        f"{len(topology.hosts)} hosts, {len(topology.networks)} networks, "
        f"{len(topology.backends)} backends, {len(topology.vips)} VIPs"
    )
    return 0


def _apply(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = _console()
    hosts = _gateway(topology, console)
    try:
        done = apply(hosts, topology, _reporter(console), step=args.step)
    finally:
        hosts.close()
    changed = [c for c in done if c.changes]
    if changed:
        console.print(
            f"[green]applied:[/] {len(changed)} change(s), {len(done) - len(changed)} kept"
        )
    else:
        console.print("[green]no change:[/] everything is already as the topology says")
    return 0


def _plan(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = _console()
    hosts = _gateway(topology, console)
    try:
        changes = plan(hosts, topology)
    finally:
        hosts.close()
    for change in changes:
        console.print(_plan_line(change))
    pending = sum(1 for c in changes if c.changes)
    console.print(f"{pending} to change, {len(changes) - pending} to keep")
    return 0


def _plan_line(change: Change) -> str:
    style = "dim" if not change.changes else "yellow"
    return f"[{style}]{escape(change.describe())}[/]"


def _teardown(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = _console()
    hosts = _gateway(topology, console)
    try:
        done = teardown(hosts, topology, _reporter(console), leave_swarm=args.leave_swarm)
    finally:
        hosts.close()
    removed = sum(1 for c in done if c.changes)
    console.print(f"[green]teardown:[/] {removed} resource(s) removed")
    return 0


def _status(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = _console()
    hosts = _gateway(topology, console)
    try:
        status = collect_status(hosts, topology)
    finally:
        hosts.close()
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        for table in _tables(status):
            console.print(table)
    return 0


def _tables(status: TopologyStatus) -> list[Table]:
    hosts = Table("host", "url", "reachable", "engine", "swarm", "containers", title="Hosts")
    for h in status.hosts:
        reach = "yes" if h.reachable else f"[red]no[/] {escape(h.error)}"
        hosts.add_row(h.name, escape(h.url), reach, h.engine, h.swarm, h.containers)
    networks = Table("network", "host", "exists", "driver", "flags", "members", title="Networks")
    for n in status.networks:
        flags = ", ".join(
            f for f, on in (("internal", n.internal), ("attachable", n.attachable)) if on
        )
        exists = "yes" if n.exists else "[yellow]planned[/]"
        networks.add_row(n.name, n.host, exists, n.driver, flags, ", ".join(n.members))
    containers = Table(
        "container", "host", "role", "state", "image", "networks", "ports", title="Containers"
    )
    for c in status.containers:
        state = c.state if c.state == "running" else f"[red]{c.state}[/]"
        containers.add_row(
            c.name,
            c.host,
            c.role,
            state,
            escape(c.image),
            "\n".join(c.networks),
            ", ".join(c.ports),
        )
    vips = Table("VIP", "LB", "state", "stats", "servers", title="VIPs")
    for v in status.vips:
        servers = ", ".join(f"{s.name} {s.status} {s.check}".strip() for s in v.servers)
        detail = f"[red]{escape(v.error)}[/]" if v.error else escape(servers)
        vips.add_row(v.name, f"{v.container}@{v.host}", v.state, escape(v.url), detail)
    return [hosts, networks, containers, vips]
