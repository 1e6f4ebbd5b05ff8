"""UI-thread cost of one traffic-view update (per-server table + latency chart), 10 servers.

    .venv/bin/python bench/traffic_panel.py [--rounds 5] [--size 150x44]     # no lab needed

The dashboard runs on a synthetic VIP of 10 servers (fixed stats, no Docker); each round hands
the traffic controller one tally whose sliding window holds 10 servers and two minutes of
per-second points (built beforehand, as the poller builds it in a worker thread), exactly as a
`TrafficPolled` message would. Measured on the UI thread: the handler (rows synced by key, the
chart's data replaced), then the UI thread's CPU time until its frames are painted (the plot
is drawn there), less the same wait with nothing to paint. Target (issue 10): < 10 ms.
At the default 150x44 the view shows 3 of the 10 table rows and a 5-row chart; a taller
terminal (`--size 150x70`) paints every row and a taller chart, and costs more.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from lbtui.core.topology.model import Backend, Host, Network, PoolMember, Topology, Vip
from lbtui.core.traffic.outcome import answered
from lbtui.core.traffic.tally import TrafficTally
from lbtui.core.traffic.window import SlidingWindow
from lbtui.tui.app import make_app
from lbtui.tui.data.messages import TrafficPolled
from lbtui.tui.data.services import Services
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.latency_chart import LatencyChart

SERVERS = 10
SIZE = (150, 44)
VIP = "vip"
SERIES_S = 120
PAINT_WAIT_S = 0.1


def topology() -> Topology:
    """One host, one VIP of SERVERS servers."""
    backends = {f"web{n}": Backend(f"web{n}", "h1", "lbtui/web:lab", "net") for n in range(SERVERS)}
    members = tuple(PoolMember(name) for name in backends)
    vip = Vip(VIP, "h1", "lb", "lbtui/haproxy:lab", "net", 8000, members)
    hosts = {"h1": Host("h1", "unix:///bench/h1.sock", "198.18.99.1")}
    return Topology("bench-traffic", hosts, {"net": Network("net")}, backends, {VIP: vip})


def stats() -> VipView:
    """Every server UP with HAProxy's timings."""
    servers = tuple(
        ServerView(
            f"web{n}", "UP", "L7OK", "200", 1, 1, 0, 100, 100, 10.0, 100, 0, 0.1, (), 0, 1, 2, 3
        )
        for n in range(SERVERS)
    )
    return VipView(VIP, True, time.time(), None, 1, 1000, 100.0, servers)


def tally(generation: int, jagged: bool) -> TrafficTally:
    """A running tally: SERVERS servers, SERIES_S seconds of 10 answers a second each; jagged:
    every server's p99 jumps by up to 20 ms from one second to the next (the worst case for
    drawing: long vertical strokes), else steady with a step every 20 s."""
    now = [0.0]
    window = SlidingWindow(clock=lambda: now[0])
    for second in range(SERIES_S + generation):
        for n in range(SERVERS):
            for request in range(10):
                now[0] = second + request / 10
                wobble = (second * 7 + request * 3 + generation) % 20 if jagged else second // 20
                latency = (1 + n + wobble) / 1000
                window.record(answered(0.0, latency, 200, f"web{n}"))
    now[0] = float(SERIES_S + generation)
    return TrafficTally(
        url="http://198.18.99.1:8000/",
        mode="fresh",
        target_rate=100.0,
        elapsed_s=now[0],
        sent=10 * SERVERS * SERIES_S,
        ok=10 * SERVERS * SERIES_S,
        failed=0,
        running=True,
        figures=window.snapshot(),
    )


class Gateway:
    """Fixed stats; no containers; streams that block until closed."""

    def __init__(self) -> None:
        self._closed = threading.Event()

    def snapshot_host(self, name: str) -> Any:
        from lbtui.core.docker.snapshots import HostSnapshot

        return HostSnapshot(name, "unix:///bench/h1.sock", True, time.time())

    def events(self, name: str) -> Any:
        return self

    def __iter__(self) -> Iterator[Any]:
        self._closed.wait()
        return iter(())

    def close(self) -> None:
        self._closed.set()

    def poll(self, vip: str) -> VipView:
        return stats()

    def run(self, *args: Any, **kwargs: Any) -> None:
        return None

    def topology(self) -> Topology:
        return topology()


async def measure(
    rounds: int, jagged: bool, size: tuple[int, int] = SIZE
) -> tuple[list[float], list[float], int]:
    """Per round: handler ms and UI-thread CPU ms to painted (less an idle wait); points drawn."""
    gateway = Gateway()
    services = Services(docker=gateway, control=gateway, stats=gateway, actions=gateway)
    frozen = RefreshSettings(stats_s=3600, docker_s=3600, retry_s=3600)
    app = make_app(topology(), services, refresh=frozen)
    tallies = [tally(g, jagged) for g in range(rounds + 1)]  # built off the measured span
    handled, painted = [], []
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        deadline = time.monotonic() + 30
        while VIP not in screen.stats:
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for the first stats poll")
            await pilot.pause(0.01)
        screen.traffic.show_view(True)
        screen.traffic.handle(TrafficPolled(VIP, 0, tallies[0], time.time()))  # first layout
        await pilot.pause(0.5)
        for generation in range(1, rounds + 1):
            cpu = time.thread_time()
            await pilot.pause(PAINT_WAIT_S)
            idle = time.thread_time() - cpu
            cpu, start = time.thread_time(), time.perf_counter()
            screen.traffic.handle(TrafficPolled(VIP, 0, tallies[generation], time.time()))
            handled.append((time.perf_counter() - start) * 1000)
            await pilot.pause(PAINT_WAIT_S)
            painted.append((time.thread_time() - cpu - idle) * 1000)
        points = sum(len(line.xs) for line in screen.query_one(LatencyChart).lines)
    return handled, painted, points


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--size",
        default=f"{SIZE[0]}x{SIZE[1]}",
        help="terminal COLUMNSxROWS (a taller one shows more table rows and chart rows)",
    )
    args = parser.parse_args(argv)
    columns, _, rows = args.size.partition("x")
    size = (int(columns), int(rows))
    for jagged in (False, True):
        handled, painted, points = asyncio.run(measure(args.rounds, jagged, size))
        print(
            f"traffic view update at {args.size}, {SERVERS} servers, {points} chart points, "
            f"{'jagged' if jagged else 'steady'} latency: handler "
            f"{statistics.median(handled):.1f} ms median / {max(handled):.1f} ms worst; "
            f"UI-thread CPU to painted {statistics.median(painted):.1f} ms median / "
            f"{max(painted):.1f} ms worst (target < 10)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
