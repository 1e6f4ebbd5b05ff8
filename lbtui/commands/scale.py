"""`lbtui scale TOPOLOGY SERVICE N`: change a service's replica count without dropping requests."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape

from lbtui.commands import output
from lbtui.core.actions.scope import swarm_manager
from lbtui.core.services.scale import check_replicas, scale_service, select_service
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX
from lbtui.core.topology.load import load_topology


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `scale`."""
    help_text = (
        f"set a service's number of tasks (1-{SERVICE_REPLICAS_MAX}); leaving tasks are "
        "drained in every VIP first, new ones take traffic once their checks pass"
    )
    parser = subparsers.add_parser("scale", help=help_text, description=help_text)
    parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
    parser.add_argument("service", metavar="SERVICE", help="the service (services: in the file)")
    parser.add_argument("replicas", metavar="N", type=int, help="the number of tasks wanted")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds each wait may take (default 60)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_scale)


def _scale(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology, check_files=True)
    service = select_service(topology, args.service)
    check_replicas(args.replicas)  # bad input exits before any host is contacted
    manager = swarm_manager(topology)
    console = Console(highlight=False)
    quiet = Console(quiet=True)
    with output.open_hosts(topology, console) as hosts:
        hosts.require_reachable({manager} | {v.host for v in topology.vips.values()})
        report = output.progress_printer(quiet if args.json else console)
        result = scale_service(
            hosts,
            hosts.services(manager),
            topology,
            service.name,
            args.replicas,
            report,
            args.timeout,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "service": result.service,
                    "before": result.before,
                    "after": result.after,
                    "seconds": round(result.seconds, 3),
                    "drained": list(result.drained),
                    "serving": result.serving,
                    "notes": list(result.notes),
                },
                indent=2,
            )
        )
        return 0
    for note in result.notes:
        console.print(f"[yellow]note[/] {escape(note)}")
    console.print(f"[green]done[/] {escape(result.describe())}")
    return 0
