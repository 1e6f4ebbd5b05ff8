"""`lbtui redeploy TOPOLOGY VIP [--yes]`: show what changes, then reload dropping nothing."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from rich.console import Console
from rich.markup import escape

from lbtui.commands import output
from lbtui.core.errors import BadInput
from lbtui.core.redeploy.flow import Confirm, Outcome, accept, decline, redeploy_flow
from lbtui.core.redeploy.plan import RedeployPlan
from lbtui.core.topology.load import load_topology


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `redeploy`."""
    help_text = "re-read the topology and bring one VIP's LB to it without dropping requests"
    parser = subparsers.add_parser("redeploy", help=help_text, description=help_text)
    parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
    parser.add_argument("vip", metavar="VIP", help="the VIP to redeploy")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--plan", action="store_true", help="only show the diff and what would change"
    )
    parser.set_defaults(handler=_redeploy)


def _redeploy(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    if not (args.yes or args.plan or sys.stdin.isatty()):
        raise BadInput("redeploy needs confirmation: run it in a terminal, or add --yes or --plan")
    confirm: Confirm = decline if args.plan else accept if args.yes else partial(_confirm, console)
    # Loaded once here only to build the gateway; the flow re-reads and validates it.
    with output.open_hosts(load_topology(args.topology, check_files=True), console) as hosts:
        done = redeploy_flow(
            args.topology,
            args.vip,
            hosts,
            show=partial(show_plan, console),
            confirm=confirm,
            report=output.progress_printer(console),
        )
    if done.outcome is Outcome.DONE:
        console.print(f"[green]{escape(done.describe())}[/]")
    elif done.outcome is Outcome.DECLINED and not args.plan:
        console.print("nothing changed")
    return 0


def show_plan(console: Console, plan: RedeployPlan) -> None:
    """The plan's lines and its coloured config diff."""
    for line in plan.describe():
        console.print(escape(line))
    diff = plan.diff
    if not diff:
        console.print("[dim]config unchanged[/]")
        return
    for line in diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        if line.startswith("@@"):
            style = "cyan"
        console.print(f"[{style}]{escape(line)}[/]")


def _confirm(console: Console, plan: RedeployPlan) -> bool:
    # markup=False: "[y/N]" would otherwise be read as a style tag and vanish from the prompt.
    answer = console.input("apply this redeploy? [y/N] ", markup=False)
    return answer.strip().lower() in ("y", "yes")
