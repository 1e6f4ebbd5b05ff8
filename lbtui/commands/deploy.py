"""`lbtui validate|plan|apply|status|teardown TOPOLOGY`: the actions, headless."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lbtui.commands import output
from lbtui.commands.samples import topology_file
from lbtui.core.actions import Change, Step, apply, collect_status, plan, teardown
from lbtui.core.actions.preflight import check_inputs
from lbtui.core.actions.schedule import MAX_DEFAULT_PARALLEL, check_parallel
from lbtui.core.actions.status import TopologyStatus
from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.resources import REFERENCE_TOPOLOGY

Handler = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add validate, plan, apply, status and teardown."""
    verbs: list[tuple[str, str, Handler]] = [
        ("validate", "check a topology file (default: the packaged reference); no host", _validate),
        ("plan", "show what apply would do, changing nothing", _plan),
        ("apply", "bring the hosts to the topology (overlay, backends, LB, bridge)", _apply),
        ("status", "hosts, networks, containers and VIPs of a topology", _status),
        ("teardown", "remove everything lbtui created for a topology", _teardown),
    ]
    for name, help_text, handler in verbs:
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == "validate":
            parser.add_argument(
                "topology",
                metavar="TOPOLOGY",
                nargs="?",
                type=Path,
                help=f"the topology YAML file (default: the packaged {REFERENCE_TOPOLOGY})",
            )
        else:
            parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
        parser.set_defaults(handler=handler)
        if name == "apply":
            parser.add_argument(
                "--step", choices=[step.value for step in Step], help="run only this step"
            )
        if name in ("apply", "teardown"):
            parser.add_argument(
                "--parallel",
                metavar="N",
                type=_workers,
                help=(
                    "at most N resources at once, one per host at a time (default: one worker "
                    f"per host, at most {MAX_DEFAULT_PARALLEL}, plus one per service); 1 runs "
                    "them one by one"
                ),
            )
        if name == "status":
            parser.add_argument("--json", action="store_true", help="print JSON")
        if name == "teardown":
            parser.add_argument(
                "--leave-swarm", action="store_true", help="also make the hosts leave the swarm"
            )


def _workers(text: str) -> int:
    try:
        return check_parallel(int(text))
    except (ValueError, BadInput) as error:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of 1 or more, got {text!r}"
        ) from error


def _load(args: argparse.Namespace) -> Topology:
    return load_topology(args.topology, check_files=True)


def _validate(args: argparse.Namespace) -> int:
    with topology_file(args.topology) as path:
        topology = load_topology(path, check_files=True)
        # The same checks apply makes before touching a host, writing nothing.
        password_sources = check_inputs(topology)
    console = output.console()
    console.print(
        f"[green]valid:[/] {escape(str(path))}: topology {escape(topology.name)}, "
        f"{len(topology.hosts)} hosts, {len(topology.networks)} networks, "
        f"{len(topology.backends)} backends, "
        + (f"{len(topology.services)} services, " if topology.services else "")
        + f"{len(topology.vips)} VIPs; every VIP's haproxy.cfg renders"
    )
    for vip, source in password_sources.items():
        console.print(f"  stats password of VIP {escape(vip)}: {escape(source)}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        try:
            report = output.progress_printer(console)
            done = apply(hosts, topology, report, step=args.step, parallel=args.parallel)
        except RuntimeFailure:
            # Input errors (exit 2) changed nothing; after a failure midway, say where it left
            # every resource, so that the user knows what is up before running apply again.
            _print_state_after_failure(console, collect_status(hosts, topology))
            raise
    changed = [c for c in done if c.changes]
    if changed:
        console.print(
            f"[green]applied:[/] {len(changed)} change(s), {len(done) - len(changed)} kept"
        )
    else:
        console.print("[green]no change:[/] everything is already as the topology says")
    return 0


def _print_state_after_failure(console: Console, status: TopologyStatus) -> None:
    console.print("[red]apply stopped;[/] the topology's resources are now:")
    for host in status.hosts:
        if not host.reachable:
            console.print(f"  host {host.name}: [red]unreachable[/] ({escape(host.error)})")
    unreachable = {h.name for h in status.hosts if not h.reachable}
    for network in status.networks:
        state = "exists" if network.exists else "missing"
        if network.host in unreachable:
            state = "unknown (host unreachable)"
        console.print(f"  network {network.name} on {network.host}: {state}")
    for container in status.containers:
        state = container.state
        if container.host in unreachable:
            state = "unknown (host unreachable)"
        console.print(
            f"  container {container.name} on {container.host} ({container.role}): {state}"
        )


def _plan(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        changes = plan(hosts, topology)
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
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        report = output.progress_printer(console)
        done = teardown(
            hosts, topology, report, leave_swarm=args.leave_swarm, parallel=args.parallel
        )
    removed = sum(1 for c in done if c.changes)
    console.print(f"[green]teardown:[/] {removed} resource(s) removed")
    return 0


def _status(args: argparse.Namespace) -> int:
    topology = _load(args)
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        status = collect_status(hosts, topology)
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
    tables = [hosts, networks, containers, vips]
    if status.services:
        services = Table("service", "image", "tasks", "per host", title="Services")
        for s in status.services:
            if not s.deployed:
                services.add_row(s.name, escape(s.image), "-", f"[yellow]{escape(s.error)}[/]")
                continue
            tasks = f"{s.running}/{s.desired}"
            tasks = tasks if s.running == s.desired else f"[red]{tasks}[/]"
            per_host = ", ".join(f"{t.host} {t.state} {t.address}".strip() for t in s.tasks)
            services.add_row(s.name, escape(s.image), tasks, escape(per_host))
        tables.insert(3, services)
    return tables
