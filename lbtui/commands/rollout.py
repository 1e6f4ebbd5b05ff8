"""`lbtui rollout TOPOLOGY SERVICE [--image IMAGE]`: roll a service's tasks without a gap."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape

from lbtui.commands import output
from lbtui.core.rollout.run import needed_hosts, rollout_service, with_image
from lbtui.core.topology.load import load_topology


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `rollout`."""
    help_text = (
        "roll a service to the file's spec (or to --image) task by task: each task drained "
        "in every VIP before it stops, each replacement UP in the LBs before the next goes; "
        "a replacement that fails its check is rolled back"
    )
    parser = subparsers.add_parser("rollout", help=help_text, description=help_text)
    parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
    parser.add_argument("service", metavar="SERVICE", help="the service (services: in the file)")
    parser.add_argument(
        "--image", help="roll to this image instead of the file's (the file is not changed)"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds the whole rollout may take"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_rollout)


def _rollout(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology, check_files=True)
    with_image(topology, args.service, args.image)  # bad input exits before any host is contacted
    console = Console(highlight=False)
    with output.open_hosts(topology, console) as hosts:
        hosts.require_reachable(needed_hosts(topology))
        report = output.progress_printer(Console(quiet=True) if args.json else console)
        result = rollout_service(hosts, topology, args.service, args.image, report, args.timeout)
    if args.json:
        body = (
            {"service": args.service, "changed": False}
            if result is None
            else {
                "service": result.service,
                "changed": True,
                "image": result.image,
                "replaced": result.replaced,
                "seconds": round(result.seconds, 3),
            }
        )
        print(json.dumps(body, indent=2))
        return 0
    if result is None:
        console.print(f"[green]done[/] service {escape(args.service)} already runs this spec")
    else:
        console.print(f"[green]done[/] {escape(result.describe())}")
    return 0
