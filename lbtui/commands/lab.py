"""`lbtui lab up|down|status`: the local multi-host lab."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.lab import LabSpec, LabStatus, lab_down, lab_status, lab_up, recorded_spec

DEFAULT = LabSpec()
_STYLES = {Phase.STARTED: "dim", Phase.DONE: "green", Phase.SKIPPED: "cyan", Phase.FAILED: "red"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `lab` and its verbs."""
    lab = subparsers.add_parser("lab", help="a local multi-host Docker lab on this machine")

    def show_help(args: argparse.Namespace) -> int:
        lab.print_help()
        return 0

    lab.set_defaults(handler=show_help)
    verbs = lab.add_subparsers(dest="lab_command", metavar="VERB")

    up = verbs.add_parser("up", help="bring the lab up (idempotent; repairs a broken lab)")
    _name_option(up)
    up.add_argument(
        "--hosts",
        type=int,
        default=DEFAULT.hosts,
        help=f"number of Docker hosts (1-9, default {DEFAULT.hosts})",
    )
    up.add_argument(
        "--subnet",
        default=DEFAULT.subnet,
        help=f"address range of the lab (default {DEFAULT.subnet})",
    )
    up.add_argument(
        "--tls",
        action="store_true",
        help="also serve each engine on tcp://<address>:2376 with TLS client auth",
    )
    up.set_defaults(handler=_up)

    down = verbs.add_parser("down", help="remove everything the lab created")
    _name_option(down)
    down.set_defaults(handler=_down)

    status = verbs.add_parser("status", help="show the lab's hosts")
    _name_option(status)
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    status.set_defaults(handler=_status)


def _name_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name",
        default=DEFAULT.name,
        help=f"lab name, 1-8 characters a-z0-9 (default {DEFAULT.name})",
    )


def _printer(console: Console) -> Reporter:
    def show(event: ProgressEvent) -> None:
        console.print(event.describe(), style=_STYLES[event.phase], highlight=False)

    return show


def _known_spec(name: str) -> LabSpec:
    """The spec the lab was brought up with, or the defaults under that name."""
    default = LabSpec(name=name)  # validates the name before anything is read
    return recorded_spec(name) or default


def _out() -> Console:
    """Standard output; wide enough for the table when it is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _up(args: argparse.Namespace) -> int:
    spec = LabSpec(name=args.name, hosts=args.hosts, subnet=args.subnet, tls=args.tls)
    console = Console(stderr=True)
    status = lab_up(spec, _printer(console))
    _out().print(_table(status))
    return 0


def _down(args: argparse.Namespace) -> int:
    lab_down(_known_spec(args.name), _printer(Console(stderr=True)))
    return 0


def _status(args: argparse.Namespace) -> int:
    status = lab_status(_known_spec(args.name))
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        _out().print(_table(status))
    if not status.healthy:
        Console(stderr=True).print(
            f"lab {status.spec.name} is not (fully) up: run `lbtui lab up"
            f"{'' if status.spec.name == DEFAULT.name else ' --name ' + status.spec.name}`",
            style="yellow",
            highlight=False,
        )
        return 1
    return 0


def _table(status: LabStatus) -> Table:
    spec = status.spec
    table = Table(title=f"lab {spec.name} ({spec.subnet}{', TLS' if spec.tls else ''})")
    for column in ("host", "socket", "address", "pid", "reachable", "engine", "images", "tls"):
        table.add_column(column)
    for host in status.hosts:
        table.add_row(
            host.name,
            host.socket_url,
            host.address,
            str(host.pid or "-"),
            "[green]yes[/]" if host.reachable else "[red]no[/]",
            host.engine_version or "-",
            ", ".join(host.images) or "-",
            host.tls_url or "-",
        )
    if status.tls is not None:
        table.caption = f"TLS client files: {status.tls.ca}, {status.tls.cert}, {status.tls.key}"
    return table
