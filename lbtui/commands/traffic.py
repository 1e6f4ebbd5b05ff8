"""`lbtui traffic TOPOLOGY VIP`: bounded load to a VIP, and who served it."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from lbtui.core.topology.load import load_topology
from lbtui.core.topology.select import select_vip, vip_url
from lbtui.core.traffic.generator import TrafficGenerator
from lbtui.core.traffic.record import RequestRecorder
from lbtui.core.traffic.spec import DEFAULT_DURATION_S, DEFAULT_RATE, MODES, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally
from lbtui.core.traffic.window import ServerFigures

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
        "--record",
        metavar="FILE",
        type=Path,
        help="write one JSON line per request (time, server, status, latency, error) to FILE",
    )
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
    with ExitStack() as stack:
        recorder = None
        if args.record is not None:
            recorder = stack.enter_context(RequestRecorder(args.record))
        generator = TrafficGenerator(spec, sink=recorder)
        # Runs before the recorder closes (last in, first out): no request is left unwritten.
        stack.callback(generator.stop)
        tally, interrupted = _run(generator, spec, live=not args.json)
    if args.json:
        json.dump(tally.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        console = Console(highlight=False)
        console.print(render_tally(tally))
        if recorder is not None:
            late = f" ({recorder.late} finished after the run ended)" if recorder.late else ""
            where = escape(str(recorder.path))
            console.print(f"recorded {recorder.written} requests to {where}{late}")
    if interrupted:
        return 130
    return 0 if tally.failed == 0 else 1


def _run(generator: TrafficGenerator, spec: TrafficSpec, live: bool) -> tuple[TrafficTally, bool]:
    """Run to the end (a live view on a terminal); the final tally and whether ^C ended it."""
    console = Console(highlight=False)
    interrupted = False
    generator.start()
    try:
        if live and console.is_terminal:
            with Live(render_tally(generator.tally()), console=console, transient=True) as view:
                while not generator.wait(REFRESH_S):
                    view.update(render_tally(generator.tally()))
        else:
            generator.wait(spec.deadline_s + spec.timeout_s + 5.0)
    except KeyboardInterrupt:
        interrupted = True
    return generator.stop(), interrupted


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
    servers = _servers_table(tally)
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


def _servers_table(tally: TrafficTally) -> Table:
    """Per server since the start: requests, share, latency, errors by kind, statuses."""
    table = Table(title="per server")
    for name in ("server", "requests", "share", f"last {len(tally.recent)}"):
        table.add_column(name, justify="left" if name == "server" else "right")
    table.add_column("p50/p90/p99/max ms", justify="right")
    table.add_column("errors")
    table.add_column("statuses")
    shares = tally.recent_shares()
    for figures in tally.figures.totals:
        table.add_row(
            escape(figures.server),
            str(figures.requests),
            f"{figures.share:.0%}",
            f"{shares.get(figures.server, 0.0):.0%}",
            _latency_cell(figures),
            " ".join(f"{kind} {n}" for kind, n in figures.errors.items()) or "-",
            " ".join(f"{status}:{n}" for status, n in figures.statuses.items()) or "-",
        )
    return table


def _latency_cell(figures: ServerFigures) -> str:
    latency = figures.latency
    if not latency.count:
        return "-"
    return (
        f"{latency.p50_ms:.1f} / {latency.p90_ms:.1f} / {latency.p99_ms:.1f} / {latency.max_ms:.1f}"
    )
