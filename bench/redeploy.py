"""N redeploys of the reference VIP under steady load: lbtui's reload vs remove-and-rerun.

    .venv/bin/python bench/redeploy.py [--lab lbred] [--subnet 198.18.7.0/24] [--n 5] [--rate 250]

For each strategy (lbtui: validate inside the LB + seamless reload + health gate;
naive: `docker rm -f` the LB and run a new one) and each client (a new connection per
request; a pool of keep-alive connections), one steady load at a fixed rate runs while
N redeploys change web1's weight (2, 3, 2, ...). Printed per run: requests sent, failed
(non-2xx + connection errors), and the time from the redeploy call until the new config
serves, i.e. the stats CSV (fresh connections, polled every 10 ms) shows the new weight.
For lbtui two clocks: from `execute_redeploy` (after the plan was shown, as in the
CLI and the dashboard) and from `plan_redeploy` (re-reading the file included).
Targets (issue 5): lbtui 0 failed for both clients, median < 0.25 s.
A lab this script brings up, it takes down; the topology it applies, it tears down.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from subprocess import PIPE, Popen
from typing import Any

import httpx
import yaml

from lbtui.core.actions import apply, teardown
from lbtui.core.actions.bridge import BRIDGE
from lbtui.core.actions.lb import render_vip
from lbtui.core.actions.specs import lb_request
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS, EMPTY_SERVER_STATE
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, StatsUnavailable, vip_stats_url
from lbtui.core.redeploy.execute import execute_redeploy
from lbtui.core.redeploy.plan import plan_redeploy
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.core.traffic.generator import TrafficMode
from lbtui.lab import LabSpec, LabStatus, lab_down, lab_status, lab_up, recorded_spec

SAMPLE = Path(__file__).resolve().parents[1] / "sample_topologies" / "presentation.yaml"
VIP = "presentation"
#: Every wait in this script gives up after this long.
BOUND_S = 30.0
#: Steady load between two redeploys, so each one lands in a loaded, settled LB.
GAP_S = 1.5


@dataclass
class Run:
    """One strategy with one client kind: the load's tally and each redeploy's times."""

    strategy: str
    mode: TrafficMode
    summary: dict[str, Any] = field(default_factory=dict)
    """The load's `lbtui traffic --json` summary."""
    serving_s: list[float] = field(default_factory=list)
    """Call -> new config serving (from execute for lbtui, from rm for naive)."""
    serving_with_plan_s: list[float] = field(default_factory=list)


def write_reference(lab: LabStatus, path: Path, web1_weight: int) -> Topology:
    """The reference sample pointed at the lab, with web1's weight set."""
    data: dict[str, Any] = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["name"] = "bench-redeploy"
    data["hosts"] = {
        name: {"url": lab.host(name).socket_url, "address": lab.host(name).address}
        for name in data["hosts"]
    }
    data["vips"][VIP]["servers"] = [{"backend": "web1", "weight": web1_weight}, "web2"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_topology(path)


class WeightWatch:
    """Polls the stats CSV on fresh connections; `wait(w)` -> when web1 first showed weight w."""

    def __init__(self, topology: Topology) -> None:
        vip = topology.vips[VIP]
        self._url = vip_stats_url(topology, vip)
        self._credentials = resolve_stats_credentials(topology, vip)
        self._backend = vip.haproxy_backend
        self._http = httpx.Client(
            trust_env=False, limits=httpx.Limits(max_keepalive_connections=0), timeout=1.0
        )
        self._stats = StatsClient(self._http, timeout=1.0)

    def weight(self) -> int | None:
        """web1's weight now, or None while the stats page does not answer."""
        try:
            stats = self._stats.fetch(self._url, self._credentials, None, self._backend)
        except StatsUnavailable:
            return None
        row = stats.server("web1")
        return row.weight if row is not None else None

    def seen_at(self, weight: int, stop: threading.Event, found: list[float]) -> None:
        """Poll (bounded) until web1 has `weight`; append the monotonic time it was seen."""
        deadline = time.monotonic() + BOUND_S
        while not stop.is_set() and time.monotonic() < deadline:
            if self.weight() == weight:
                found.append(time.monotonic())
                return
            time.sleep(0.01)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()


def timed(watch: WeightWatch, weight: int, action: Callable[[], float]) -> tuple[float, float]:
    """Run `action` (returns its own start time) while watching for `weight`; both delays."""
    stop = threading.Event()
    found: list[float] = []
    watcher = threading.Thread(target=watch.seen_at, args=(weight, stop, found), daemon=True)
    called = time.monotonic()
    watcher.start()
    inner_start = action()
    watcher.join(BOUND_S + 1)
    stop.set()
    if not found:
        raise RuntimeError(f"web1 never showed weight {weight} within {BOUND_S} s")
    return found[0] - inner_start, found[0] - called


def lbtui_redeploy(path: Path, hosts: DockerHosts) -> float:
    """Plan (re-reading the file) then execute; returns when execute was called."""
    plan = plan_redeploy(path, VIP, hosts)
    started = time.monotonic()
    execute_redeploy(plan, hosts)
    return started


def naive_redeploy(path: Path, hosts: DockerHosts) -> float:
    """`docker rm -f` the LB, run a new one with the new config, reconnect the bridge."""
    topology = load_topology(path)
    vip = topology.vips[VIP]
    rendered = render_vip(topology, vip)
    started = time.monotonic()
    hosts.remove_container(vip.host, vip.container)
    container = hosts.create_container(vip.host, lb_request(topology, vip, rendered.hash))
    hosts.put_files(
        vip.host,
        container,
        {
            CONFIG_PATH: rendered.text.encode(),
            DEFAULT_OPTIONS.server_state_file: EMPTY_SERVER_STATE.encode(),
        },
    )
    hosts.start_container(vip.host, container)
    hosts.connect_network(vip.host, BRIDGE, container)
    return started


def start_load(path: Path, mode: TrafficMode, rate: float, duration_s: float) -> Popen[str]:
    """`lbtui traffic` in its own process, as a real client would be (no shared GIL)."""
    argv = [
        sys.executable,
        "-m",
        "lbtui",
        "traffic",
        str(path),
        VIP,
        "--rate",
        f"{rate:g}",
        "--duration",
        f"{duration_s:g}",
        "--mode",
        mode,
        "--connections",
        "8",
        "--json",
    ]
    # The load is stopped with SIGINT (Ctrl-C): started from a shell's background job,
    # this script inherits SIGINT ignored, and so would the load unless it is reset.
    return Popen(argv, stdout=PIPE, text=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_load(process: Popen[str]) -> dict[str, Any]:
    """Interrupt the load (by its PID) and read its JSON summary."""
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=BOUND_S)
    summary: dict[str, Any] = json.loads(out)
    return summary


def run(
    lab: LabStatus,
    path: Path,
    hosts: DockerHosts,
    strategy: str,
    mode: TrafficMode,
    count: int,
    rate: float,
) -> Run:
    """One steady load with `count` redeploys in it."""
    result = Run(strategy, mode)
    topology = write_reference(lab, path, 1)
    lbtui_redeploy(path, hosts)
    watch = WeightWatch(topology)
    process = start_load(path, mode, rate, min(600.0, count * (GAP_S + 10) + 30))
    try:
        time.sleep(GAP_S)
        for index in range(count):
            weight = 2 + index % 2
            write_reference(lab, path, weight)
            action = lbtui_redeploy if strategy == "lbtui" else naive_redeploy
            inner, outer = timed(watch, weight, partial(action, path, hosts))
            result.serving_s.append(inner)
            result.serving_with_plan_s.append(outer)
            print(
                f"  {strategy:<5} {mode:<9} #{index + 1}: new config serving after "
                f"{inner:.3f} s ({outer:.3f} s with the plan)",
                flush=True,
            )
            time.sleep(GAP_S)
    finally:
        result.summary = stop_load(process)
        watch.close()
    return result


def report(runs: list[Run], rate: float, count: int) -> None:
    """The summary table."""
    print(f"\n{count} redeploys per run, steady load {rate:g} req/s")
    header = (
        f"{'strategy':<8} {'client':<10} {'sent':>7} {'failed':>7} {'fail %':>7} "
        f"{'median s':>9} {'max s':>7} {'median s (with plan)':>21}  errors"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        sent, failed = r.summary["sent"], r.summary["failed"]
        pct = 100 * failed / sent if sent else 0.0
        print(
            f"{r.strategy:<8} {r.mode:<10} {sent:>7} {failed:>7} {pct:>6.2f}% "
            f"{statistics.median(r.serving_s):>9.3f} {max(r.serving_s):>7.3f} "
            f"{statistics.median(r.serving_with_plan_s):>21.3f}  {r.summary['errors']}"
        )


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lab", default="lbred")
    parser.add_argument("--subnet", default="198.18.7.0/24")
    parser.add_argument("--n", type=int, default=5, help="redeploys per run (>= 5)")
    parser.add_argument("--rate", type=float, default=250.0, help="requests per second")
    args = parser.parse_args()
    if args.n < 5:
        parser.error("--n must be at least 5")
    os.environ.setdefault("LBTUI_STATS_PASSWORD", "bench-redeploy")
    spec = recorded_spec(args.lab) or LabSpec(name=args.lab, hosts=3, subnet=args.subnet)
    was_up = lab_status(spec).healthy
    lab = lab_up(spec)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-redeploy.yaml"
        topology = write_reference(lab, path, 1)
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            for strategy in ("lbtui", "naive"):
                for mode in ("fresh", "keepalive"):
                    runs.append(run(lab, path, hosts, strategy, mode, args.n, args.rate))
        finally:
            teardown(hosts, topology, leave_swarm=True)
            hosts.close()
            if not was_up:
                lab_down(spec)
    report(runs, args.rate, args.n)
    ours = [r for r in runs if r.strategy == "lbtui"]
    lbtui_ok = all(r.summary.get("failed") == 0 for r in ours)
    return 0 if lbtui_ok else 1


if __name__ == "__main__":
    sys.exit(main())
