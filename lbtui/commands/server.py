"""`lbtui server TOPOLOGY VIP SERVER drain|disable|enable|weight N`: runtime server control."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape

from lbtui.commands import output
from lbtui.core.control.servers import ServerAction, control_server, server_command
from lbtui.core.errors import BadInput
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.select import select_vip


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `server`."""
    help_text = "drain, disable, enable or re-weight one server of a VIP at run time (no reload)"
    parser = subparsers.add_parser("server", help=help_text, description=help_text)
    parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
    parser.add_argument("vip", metavar="VIP", help="the VIP whose pool holds the server")
    parser.add_argument("server", metavar="SERVER", help="the server (backend name)")
    parser.add_argument(
        "action",
        choices=[a.value for a in ServerAction],
        help="drain: no new connections; disable: maintenance; enable: ready; weight N",
    )
    parser.add_argument("weight", nargs="?", type=int, help="the new weight (0-256) for `weight`")
    parser.set_defaults(handler=_server)


def _server(args: argparse.Namespace) -> int:
    action = ServerAction(args.action)
    if action is ServerAction.WEIGHT and args.weight is None:
        raise BadInput("`weight` needs the new weight, e.g. `weight 3`")
    topology = load_topology(args.topology, check_files=True)
    vip = select_vip(topology, args.vip)
    server_command(vip, args.server, action, args.weight)  # bad input exits before any host call
    console = Console(highlight=False)
    with output.open_hosts(topology, console) as hosts:
        hosts.require_reachable([vip.host])
        change = control_server(hosts, vip, args.server, action, args.weight)
    console.print(f"[green]done[/] {escape(change.describe())} ({escape(change.command)})")
    return 0
