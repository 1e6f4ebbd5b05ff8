"""`lbtui fault add|list|clear TOPOLOGY ...`: reversible faults, read back from the engines."""

from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape
from rich.table import Table

from lbtui.commands import output
from lbtui.core.faults.apply import add_fault
from lbtui.core.faults.clear import clear_faults
from lbtui.core.faults.model import (
    DEFAULT_HELPER_IMAGE,
    VIAS,
    ActiveFault,
    FaultKind,
    FaultOptions,
    fault_request,
)
from lbtui.core.faults.readback import list_faults
from lbtui.core.faults.targets import resolve_target
from lbtui.core.topology.load import load_topology


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `fault` with its `add`, `list` and `clear` sub-commands."""
    help_text = "inject, list and clear reversible faults in backends, LB containers and hosts"
    parser = subparsers.add_parser("fault", help=help_text, description=help_text)
    verbs = parser.add_subparsers(dest="fault_verb", metavar="VERB", required=True)

    add = verbs.add_parser("add", help="add a fault", description="add a fault to a target")
    _common(add)
    add.add_argument(
        "target", metavar="TARGET", help="a backend, an LB container, or host:NAME (with `down`)"
    )
    add.add_argument("kind", metavar="KIND", help=", ".join(k.value for k in FaultKind))
    add.add_argument("--percent", type=float, help="loss: percent of packets dropped (0.1-100)")
    add.add_argument("--kbit", type=int, help="rate: what it sends, in kbit/s (8-10000000)")
    add.add_argument("--ms", type=int, help="delay: milliseconds added (1-60000; needs netem)")
    add.set_defaults(handler=_add)

    show = verbs.add_parser("list", help="list active faults", description="list active faults")
    _common(show)
    show.add_argument("--json", action="store_true", help="print the faults as JSON")
    show.set_defaults(handler=_list)

    clear = verbs.add_parser("clear", help="clear faults", description="clear faults")
    _common(clear)
    clear.add_argument("target", metavar="TARGET", nargs="?", help="only this target's faults")
    clear.set_defaults(handler=_clear)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
    parser.add_argument(
        "--via",
        choices=VIAS,
        default="auto",
        help="reach namespaces from this machine (host), through a helper container (helper), "
        "or host side for local engines when root, else helper (auto)",
    )
    parser.add_argument(
        "--helper-image",
        default=DEFAULT_HELPER_IMAGE,
        help=f"image of the helper container (iptables, tc, ip, sleep); {DEFAULT_HELPER_IMAGE}",
    )


def _options(args: argparse.Namespace) -> FaultOptions:
    return FaultOptions(via=args.via, helper_image=args.helper_image)


def _add(args: argparse.Namespace) -> int:
    request = fault_request(args.target, args.kind, args.percent, args.kbit, args.ms)
    topology = load_topology(args.topology, check_files=True)
    placements = resolve_target(topology, request.target)  # bad input exits before any host call
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        hosts.require_reachable({p.host for p in placements})
        faults = add_fault(
            hosts, topology, request, _options(args), output.progress_printer(console)
        )
    for fault in faults:
        console.print(f"[green]active[/] {escape(fault.describe())}")
    return 0


def _list(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology, check_files=True)
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        hosts.require_reachable(topology.hosts)
        faults = list_faults(hosts, topology, _options(args))
    if args.json:
        json.dump([f.as_dict() for f in faults], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif faults:
        console.print(fault_table(faults))
    else:
        console.print(f"no active faults in topology {escape(topology.name)}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology, check_files=True)
    placements = resolve_target(topology, args.target) if args.target else ()
    console = output.console()
    with output.open_hosts(topology, console) as hosts:
        hosts.require_reachable({p.host for p in placements} or set(topology.hosts))
        cleared = clear_faults(
            hosts, topology, args.target, _options(args), output.progress_printer(console)
        )
    if not cleared:
        console.print("no active faults to clear")
    return 0


def fault_table(faults: tuple[ActiveFault, ...]) -> Table:
    """Active faults, one row each."""
    table = Table(title="active faults")
    for column in ("target", "kind", "parameter", "host", "containers", "notes"):
        table.add_column(column)
    for fault in faults:
        table.add_row(
            escape(fault.target),
            fault.kind.value,
            escape(fault.parameter()),
            escape(fault.host),
            escape(", ".join(fault.containers)),
            escape("; ".join(fault.problems)),
        )
    return table
