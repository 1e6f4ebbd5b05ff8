"""Services at scale on 6 lab hosts: cold apply (1 worker vs default), no-op, scale, rollout, UI.

    .venv/bin/python bench/scale.py [--lab lbscale] [--subnet 198.18.8.0/24] [--rate 200]
                                    [--idle 60] [--runs 1] [--timeline FILE]
                                    [--parts apply,engines,noop,scale,rollout,refresh,idle]

The topology: 4 services of 6 replicas (24 tasks) on the overlay, 6 plain backends (one
per host), 4 VIPs on 4 hosts (three mix their service with two plain backends, the
fourth serves its service alone).
1. cold apply with `--parallel 1` and with the default, from the same cold start (no
   swarm, network, container or service): seconds of each and the ratio, and the CPU work
   of each (the whole machine's busy CPU-seconds during it): that work over the core count
   is the shortest time any schedule of it can take on this machine;
   then the engines alone: 6 web containers (one per engine), then 30 (five per engine,
   as many as apply's backends and tasks), created and started by hand through the SDK one
   at a time and all at once: on engines that share this machine's cores, what running
   them side by side can gain at best;
2. no-op apply (the default parallel), from a new gateway;
3. scale the fourth VIP's service 6 -> 24 -> 6 under `--rate` req/s from lbtui's traffic
   generator (fresh connections): seconds until the LB serves the new set (the scale
   returns once every new slot is UP, or every leaving one drained), failed requests;
   then roll that service's 6 tasks to the lab's second web image under the same load
   (the topology's update settings: one task at a time, start-first): seconds until
   every task runs the new image and is UP in the LB, failed requests;
4. the dashboard on that topology: idle CPU-s/min of `lbtui TOPOLOGY` left alone
   (bench/dashboard.py's measure), and the UI-thread time of one refresh (every host's
   snapshot and every VIP's stats, polled from the lab, handled plus a full render).
`--timeline FILE` writes every cold apply's jobs (start, end, lane, host) and progress
events as JSON lines, and prints each apply's jobs as a table: what ran when, on which host.
Targets (issue 11): default cold apply >= 3x faster than one worker and < 8 s; 0 failed
requests while scaling and rolling out; idle <= 1.5 CPU-s/min; refresh < 100 ms.
A lab this script brings up, it takes down.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker.errors
import yaml
from dashboard import SIZE, _populated, _until, idle

from lbtui.core.actions import apply, teardown
from lbtui.core.actions.schedule import Job, default_parallel
from lbtui.core.actions.scope import swarm_manager
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.progress import ProgressEvent, Reporter
from lbtui.core.rollout.run import rollout_service
from lbtui.core.services.scale import scale_service
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.lab import WEB_IMAGE_V2, LabSpec, LabStatus, lab_down, lab_status, lab_up
from lbtui.tui.app import make_app
from lbtui.tui.data.live import live_services
from lbtui.tui.data.messages import HostPolled, StatsPolled
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.settings import RefreshSettings

#: The module (the package exports its function under the same name), whose run_jobs is timed.
apply_module: Any = importlib.import_module("lbtui.core.actions.apply")
HOSTS = [f"docker{n}" for n in range(1, 7)]
SCALED = "s4"
SCALED_VIP = "v4"
#: What a cold apply changes: the init and 5 joins, the network, 6 node labels, 6 backends,
#: 4 services, 4 LBs, 4 bridges.
COLD_CHANGES = 6 + 1 + 6 + 6 + 4 + 4 + 4


def bench_topology(lab: LabStatus, folder: Path) -> Path:
    """The topology above, pointed at the lab's sockets and addresses."""
    web, lb = "lbtui/web:lab", "lbtui/haproxy:lab"
    services = {
        f"s{n}": {"image": web, "network": "bench_overlay", "port": 80, "replicas": 6}
        for n in range(1, 5)
    }
    backends = {
        f"b{n}": {"host": host, "image": web, "network": "bench_overlay"}
        for n, host in enumerate(HOSTS, start=1)
    }
    vips = {}
    for n in range(1, 5):
        plain = [f"b{2 * n - 1}", f"b{2 * n}"] if n < 4 else []
        vips[f"v{n}"] = {
            "host": HOSTS[n + 1],
            "container": f"lb{n}",
            "image": lb,
            "network": "bench_overlay",
            "connect_bridge": True,
            "publish": 8000 + n,
            "servers": [f"s{n}", *plain],
            "stats": {"password_env": "LBTUI_STATS_PASSWORD"},
        }
    data: dict[str, Any] = {
        "name": "bench-scale",
        "hosts": {
            name: {"url": lab.host(name).socket_url, "address": lab.host(name).address}
            for name in HOSTS
        },
        "swarm": {"manager": "docker1"},
        "networks": {"bench_overlay": {"driver": "overlay", "internal": True, "attachable": True}},
        "services": services,
        "backends": backends,
        "vips": vips,
    }
    path = folder / "bench-scale.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) ticks of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


class Timeline:
    """Every job's start and end, and every progress event, of one apply (times from its start)."""

    def __init__(self) -> None:
        self.origin = time.time()
        self.jobs: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def event(self, event: ProgressEvent) -> None:
        self.events.append(
            {
                "at": round(event.at - self.origin, 3),
                "phase": event.phase.value,
                "step": event.step,
                "target": event.target,
                "host": event.host,
                "detail": event.detail,
            }
        )

    def wrap(self, job: Job) -> Job:
        """The job, timed."""

        def run(report: Reporter) -> Any:
            start = time.time() - self.origin
            try:
                return job.run(report)
            finally:
                end = time.time() - self.origin
                self.jobs.append({"job": job.key, "lane": job.lane, "start": start, "end": end})

        return Job(job.key, job.lane, run, job.after)

    def table(self) -> str:
        """The jobs by start time: start, end, length, lane, name."""
        lines = [f"  {'start':>6} {'end':>6} {'took':>6}  lane       job"]
        for job in sorted(self.jobs, key=lambda j: j["start"]):
            lines.append(
                f"  {job['start']:6.2f} {job['end']:6.2f} {job['end'] - job['start']:6.2f}  "
                f"{job['lane']:<10} {job['job']}"
            )
        return "\n".join(lines)


def _timed_jobs(timeline: Timeline) -> Any:
    """`run_jobs` with every job timed into `timeline`."""
    real = apply_module.run_jobs

    def run_jobs(jobs: list[Job], report: Reporter, parallel: int) -> Any:
        return real([timeline.wrap(job) for job in jobs], report, parallel)

    return run_jobs


def timed_apply(
    topology: Topology, parallel: int | None, timeline: Timeline | None = None
) -> tuple[float, int, float]:
    """Seconds of one apply from a fresh gateway, resources it changed, machine CPU busy %.

    The lab's hosts share this machine's cores and kernel: the busy share says how much
    of the wall time every core was working (for the lab, and for anything else running).
    """
    busy_before, total_before = _cpu_ticks()
    started = time.perf_counter()
    report: Reporter = timeline.event if timeline else (lambda _event: None)
    real = apply_module.run_jobs
    if timeline is not None:
        timeline.origin = time.time()
        apply_module.run_jobs = _timed_jobs(timeline)
    try:
        with DockerHosts(topology) as hosts:
            changes = apply(hosts, topology, report, parallel=parallel)
    finally:
        apply_module.run_jobs = real
    seconds = time.perf_counter() - started
    busy_after, total_after = _cpu_ticks()
    busy = 100 * (busy_after - busy_before) / max(1, total_after - total_before)
    return seconds, sum(1 for c in changes if c.changes), busy


def engine_starts(topology: Topology, per_host: int, at_once: bool) -> float:
    """Seconds to create and start `per_host` web containers on every host's engine, as a user
    would by hand (the SDK's create + start, on the topology's overlay), one at a time or all
    at once; the containers are removed after. The floor of what apply's starts can take."""
    network = next(iter(topology.networks))
    names = [(h, f"bench-probe-{h}-{n}") for h in HOSTS for n in range(per_host)]
    with DockerHosts(topology) as hosts:

        def run(item: tuple[str, str]) -> None:
            host, name = item
            hosts.client(host).containers.run(
                "lbtui/web:lab", name=name, network=network, detach=True
            )

        try:
            started = time.perf_counter()
            if at_once:
                with ThreadPoolExecutor(max_workers=len(names)) as pool:
                    list(pool.map(run, names))
            else:
                for item in names:
                    run(item)
            return time.perf_counter() - started
        finally:
            for host, name in names:
                with contextlib.suppress(docker.errors.NotFound):
                    hosts.client(host).containers.get(name).remove(force=True)


def clean(topology: Topology) -> None:
    """Remove the topology and leave the swarm: the next apply starts cold."""
    with DockerHosts(topology) as hosts:
        teardown(hosts, topology, leave_swarm=True)


def scale_under_load(topology: Topology, rate: float) -> dict[str, str]:
    """Scale SCALED 6 -> 24 -> 6 while `rate` req/s go to its VIP; the figures."""
    url = vip_url(topology, topology.vips[SCALED_VIP])
    spec = TrafficSpec(url=url, rate=rate, duration_s=240, mode="fresh", connections=16)
    results: dict[str, str] = {}
    with DockerHosts(topology) as hosts, TrafficGenerator(spec) as generator:
        services = hosts.services(swarm_manager(topology))
        time.sleep(2.0)  # the load runs before the first change
        for count in (24, 6):
            began = time.perf_counter()
            result = scale_service(hosts, services, topology, SCALED, count, timeout_s=120)
            wall = time.perf_counter() - began
            serving = len(result.serving.get(SCALED_VIP, {}))
            results[f"scale {result.before} -> {count}"] = (
                f"{result.seconds:.1f} s until {serving} slots UP in {SCALED_VIP} "
                f"({wall:.1f} s in all)"
            )
            if serving != count:
                raise SystemExit(f"after scaling to {count}, {SCALED_VIP} serves {serving}")
            time.sleep(2.0)
        tally = generator.stop()
    results[f"traffic while scaling ({rate:g} req/s)"] = (
        f"{tally.sent} sent, {tally.failed} failed (target 0), "
        f"{len(tally.servers)} distinct servers answered"
    )
    return results


def rollout_under_load(topology: Topology, rate: float) -> dict[str, str]:
    """Roll SCALED's tasks to the second web image while `rate` req/s go to its VIP."""
    url = vip_url(topology, topology.vips[SCALED_VIP])
    spec = TrafficSpec(url=url, rate=rate, duration_s=400, mode="fresh", connections=16)
    with DockerHosts(topology) as hosts, TrafficGenerator(spec) as generator:
        time.sleep(2.0)  # the load runs before the first change
        began = time.perf_counter()
        result = rollout_service(hosts, topology, SCALED, WEB_IMAGE_V2, timeout_s=360)
        wall = time.perf_counter() - began
        time.sleep(2.0)
        tally = generator.stop()
    if result is None or result.replaced != topology.services[SCALED].replicas:
        raise SystemExit(f"the rollout of {SCALED} replaced {result and result.replaced} tasks")
    return {
        f"rollout {SCALED} ({result.replaced} tasks) to {WEB_IMAGE_V2}": (
            f"{result.seconds:.1f} s until every new task was UP ({wall:.1f} s in all)"
        ),
        f"traffic while rolling out ({rate:g} req/s)": (
            f"{tally.sent} sent, {tally.failed} failed (target 0)"
            + (f" {dict(tally.errors)}" if tally.failed else "")
        ),
    }


async def one_refresh(topology: Topology, rounds: int = 3) -> tuple[float, float]:
    """UI-thread ms of the worst of `rounds` refreshes with the lab's own data: handlers, render."""
    services = live_services(topology)
    frozen = RefreshSettings(stats_s=3600, docker_s=3600, retry_s=3600)
    timings = []
    try:
        app = make_app(topology, services, refresh=frozen)
        async with app.run_test(size=SIZE) as pilot:
            await _until(lambda: _populated(app), 30, "every pane populated")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            for _ in range(rounds):
                # Polled in a thread, as the app's pollers do; only the handling is timed.
                snapshots = await asyncio.to_thread(
                    lambda: [services.docker.snapshot_host(h) for h in topology.hosts]
                )
                views = await asyncio.to_thread(
                    lambda: [services.stats.poll(v) for v in topology.vips]
                )
                start = time.perf_counter()
                for snapshot in snapshots:
                    screen._host_polled(HostPolled(snapshot))
                screen._repaint_pending_docker()
                for view in views:
                    screen._stats_polled(StatsPolled(view))
                handled = time.perf_counter() - start
                await pilot.pause(0.1)
                render_start = time.perf_counter()
                app.screen._compositor.render_update(full=True)
                timings.append((handled, time.perf_counter() - render_start))
                await pilot.pause()
    finally:
        services.close()
    return max(t[0] for t in timings) * 1000, max(t[1] for t in timings) * 1000


def _show(results: dict[str, str], key: str, value: str) -> None:
    """Keep a figure and print it at once (a later part failing loses nothing)."""
    results[key] = value
    print(f"{key}: {value}", flush=True)


def measure(topology: Topology, path: Path, args: argparse.Namespace) -> dict[str, str]:
    """Parts 1 to 4; the figures by name."""
    results: dict[str, str] = {}
    parts = set(args.parts.split(","))
    default = default_parallel(topology)
    for run in range(1, max(1, args.runs) + 1):
        if "apply" not in parts:
            break
        seconds: dict[int, float] = {}
        busy: dict[int, float] = {}
        for parallel in (1, default):
            clean(topology)
            timeline = Timeline() if args.timeline else None
            seconds[parallel], changed, busy[parallel] = timed_apply(topology, parallel, timeline)
            if timeline is not None:
                print(f"cold apply, run {run}, --parallel {parallel}:\n{timeline.table()}")
                with open(args.timeline, "a", encoding="utf-8") as out:
                    record = {"run": run, "parallel": parallel, "seconds": seconds[parallel]}
                    out.write(json.dumps({**record, "jobs": timeline.jobs}) + "\n")
                    out.write(json.dumps({**record, "events": timeline.events}) + "\n")
            if changed != COLD_CHANGES:
                raise SystemExit(f"a cold apply changed {changed} resources, not {COLD_CHANGES}")
        ratio = seconds[1] / seconds[default]
        _show(
            results,
            f"cold apply, run {run}",
            f"--parallel 1 {seconds[1]:.2f} s (CPU {busy[1]:.0f} % busy), default "
            f"({default}) {seconds[default]:.2f} s (CPU {busy[default]:.0f} % busy): "
            f"{ratio:.1f}x (target >= 3x and < 8 s)",
        )
        # Whatever the schedule, the machine's cores must do the work: its CPU-seconds over
        # the core count is the shortest any apply of that work can take on this machine.
        cores = os.cpu_count() or 1
        work = {n: busy[n] / 100 * cores * seconds[n] for n in seconds}
        floor = work[default] / cores
        _show(
            results,
            f"cold apply, run {run}, CPU work",
            f"{work[1]:.1f} CPU-s with 1 worker, {work[default]:.1f} with {default}: on {cores} "
            f"cores no schedule of it ends before {floor:.1f} s, at most "
            f"{seconds[1] / floor:.1f}x faster than 1 worker",
        )
    noop, changed, _busy = timed_apply(topology, None)
    if "engines" in parts:
        for per_host in (1, 5):
            one = engine_starts(topology, per_host, at_once=False)
            together = engine_starts(topology, per_host, at_once=True)
            _show(
                results,
                f"{per_host * len(HOSTS)} containers started by hand ({per_host} per engine)",
                f"one at a time {one:.2f} s, all at once {together:.2f} s ({one / together:.1f}x)",
            )
    if changed and "apply" in parts:
        raise SystemExit(f"the no-op apply changed {changed} resources")
    if "noop" in parts:
        _show(results, "no-op apply", f"{noop:.2f} s")
    if "scale" in parts:
        for key, value in scale_under_load(topology, args.rate).items():
            _show(results, key, value)
    if "rollout" in parts:
        for key, value in rollout_under_load(topology, args.rate).items():
            _show(results, key, value)
    if "refresh" in parts:
        handled, render = asyncio.run(one_refresh(topology))
        _show(
            results,
            "one refresh, 6 hosts/24 tasks/6 backends/4 VIPs",
            f"{handled:.1f} ms handlers + {render:.1f} ms full render (target < 100)",
        )
    if "idle" in parts:
        cpu, rss, _peak = idle(path, args.idle)
        _show(
            results,
            f"dashboard idle over {args.idle:.0f} s",
            f"{cpu:.2f} CPU-s/min (target <= 1.5), RSS {rss:.0f} MiB",
        )
    return results


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="lbscale")
    parser.add_argument("--subnet", default="198.18.8.0/24")
    parser.add_argument("--rate", type=float, default=200.0, help="req/s while scaling")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle watching")
    parser.add_argument("--runs", type=int, default=1, help="pairs of cold applies")
    parser.add_argument("--timeline", help="JSON lines of every cold apply's jobs and events")
    parser.add_argument(
        "--parts",
        default="apply,engines,noop,scale,rollout,refresh,idle",
        help="which parts to run, comma-separated (an apply always runs first)",
    )
    args = parser.parse_args()
    os.environ.setdefault("LBTUI_STATS_PASSWORD", "bench-scale")
    spec = LabSpec(name=args.lab, hosts=len(HOSTS), subnet=args.subnet)
    was_up = lab_status(spec).healthy
    lab = lab_up(spec)
    with tempfile.TemporaryDirectory(prefix="lbtui-bench-") as folder:
        path = bench_topology(lab, Path(folder))
        topology = load_topology(path)
        try:
            results = measure(topology, path, args)
        finally:
            clean(topology)
            if not was_up:
                lab_down(spec)
    print()
    width = max(len(key) for key in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
