"""`lbtui traffic TOPOLOGY VIP`: bounded load to a VIP, and who served it."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from lbtui.core.topology.load import load_topology
from lbtui.core.topology.select import select_vip, vip_url
from lbtui.core.traffic.generator import (
    DEFAULT_DURATION_S,
    DEFAULT_RATE,
    MODES,
    TrafficGenerator,
    TrafficSpec,
)
from lbtui.core.traffic.tally import TrafficTally

#: Seconds between two repaints of the live summary.
REFRESH_S = 0.5


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `traffic`."""
    help_text = "send bounded HTTP load to a VIP and tally which server answered"
    parser = subparsers.add_parser("traffic", help=help_text, description=help_text)
    parser.add_argument("topology", metavar="TOPOLOGY", help="the topology YAML file")
    parser.add_argument("vip", metavar="VIP", help="the VIP to load")
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="requests per second (max 2000)"
    )
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument(
        "--duration", type=float, help=f"seconds to run (max 600; default {DEFAULT_DURATION_S:g})"
    )
    bound.add_argument("--count", type=int, help="requests to send, then stop")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="fresh",
        help="fresh: a new connection per request; keepalive: a pool of reused connections",
    )
    parser.add_argument(
        "--connections", type=int, default=4, help="requests in flight at most (pool size)"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--allow-any-target",
        action="store_true",
        help="allow a VIP address outside loopback and 198.18.0.0/15 (only hosts you own)",
    )
    parser.set_defaults(handler=_traffic)


def _traffic(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology)
    vip = select_vip(topology, args.vip)
    duration = args.duration
    if duration is None and args.count is None:
        duration = DEFAULT_DURATION_S
    spec = TrafficSpec(
        url=vip_url(topology, vip),
        rate=args.rate,
        duration_s=duration,
        count=args.count,
        mode=args.mode,
        connections=args.connections,
        timeout_s=args.timeout,
        allow_any_target=args.allow_any_target,
    )
    generator = TrafficGenerator(spec)
    console = Console(highlight=False)
    live = console.is_terminal and not args.json
    interrupted = False
    generator.start()
    try:
        if live:
            with Live(render_tally(generator.tally()), console=console, transient=True) as view:
                while not generator.wait(REFRESH_S):
                    view.update(render_tally(generator.tally()))
        else:
            generator.wait(spec.deadline_s + spec.timeout_s + 5.0)
    except KeyboardInterrupt:
        interrupted = True
    tally = generator.stop()
    if args.json:
        json.dump(tally.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        console.print(render_tally(tally))
    if interrupted:
        return 130
    return 0 if tally.failed == 0 else 1


def render_tally(tally: TrafficTally) -> Group:
    """The summary as rich tables: totals and latency, servers, errors, the recent strip."""
    totals = Table(title=f"traffic to {escape(tally.url)} ({tally.mode})", show_header=False)
    totals.add_column("what")
    totals.add_column("value", justify="right")
    state = tally.finished_reason or "running"
    totals.add_row("state", state)
    totals.add_row("sent", str(tally.sent))
    totals.add_row("ok (2xx)", f"[green]{tally.ok}[/]")
    failed_style = "bold red" if tally.failed else "green"
    totals.add_row("failed", f"[{failed_style}]{tally.failed}[/]")
    totals.add_row("rate", f"{tally.achieved_rate:.1f}/s of {tally.target_rate:g}/s")
    totals.add_row("elapsed", f"{tally.elapsed_s:.1f} s")
    latency = tally.latency
    totals.add_row(
        "latency p50/p90/p99/max",
        f"{latency.p50_ms:.1f} / {latency.p90_ms:.1f} / {latency.p99_ms:.1f} / "
        f"{latency.max_ms:.1f} ms",
    )
    servers = Table(title="answers per server")
    servers.add_column("server")
    servers.add_column("answers", justify="right")
    servers.add_column("share", justify="right")
    servers.add_column(f"last {len(tally.recent)}", justify="right")
    answered = sum(tally.servers.values())
    shares = tally.recent_shares()
    for name, count in tally.servers.items():
        share = count / answered if answered else 0.0
        servers.add_row(escape(name), str(count), f"{share:.0%}", f"{shares.get(name, 0.0):.0%}")
    parts: list[Table | str] = [totals, servers]
    if tally.errors:
        errors = Table(title="failures")
        errors.add_column("kind", style="red")
        errors.add_column("count", justify="right")
        for kind, count in sorted(tally.errors.items()):
            errors.add_row(escape(kind), str(count))
        parts.append(errors)
    strip = " ".join(
        escape(r.server or "-") if r.ok else f"[bold red]!{escape(r.error or '')}[/]"
        for r in tally.recent[-20:]
    )
    if strip:
        parts.append(f"last responses: {strip}")
    return Group(*parts)
