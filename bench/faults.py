"""Faults on the reference topology under load, and the traffic generator's own cost and truth.

    flock /tmp/lbtui-lab.lock .venv/bin/python bench/faults.py [--lab lbflt] [--subnet ...]

1. For `pause web2`, `disconnect web2` and `host:docker3 down`, with 50 req/s of fresh
   connections through the VIP: the time from the fault to web2 DOWN in HAProxy's stats
   (polled every 50 ms), the requests sent in that interval that failed (and those that took
   over a second), and the time from the clear to web2 UP again.
2. The generator at 1000 req/s of fresh connections: achieved rate (target: < 5 % short) and
   its CPU seconds per 1000 requests (this process's rusage around the run; nothing else runs
   in it meanwhile).
3. Its p50/p90/p99 next to `hey`'s (apt-get install hey) at the same VIP, rate, workers and
   connection kind, each with a third clock: a tcpdump capture on the lab bridge (SYN -> first
   answer byte per connection, SYN retransmissions) and nstat counters (SYN retransmits, listen
   queue overflows) here and in the LB's and each backend's namespace.
4. The UI-thread time of one traffic-view update (per-server table + latency chart) with 10
   servers (`bench/traffic_panel.py`, no lab needed; `--panel-only` runs just this part).
A lab this script brings up, it takes down; the topology it applies, it tears down.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import traffic_panel
import yaml
from load_compare import compare, print_comparison

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.faults.apply import add_fault
from lbtui.core.faults.clear import clear_faults
from lbtui.core.faults.model import fault_request
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, StatsUnavailable, vip_stats_url
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.core.traffic.outcome import Outcome
from lbtui.lab import LabSpec, LabStatus, lab_down, lab_status, lab_up, recorded_spec

SAMPLE = Path(__file__).resolve().parents[1] / "sample_topologies" / "presentation.yaml"
VIP = "presentation"
BOUND_S = 60.0
FAULTS = (("web2", "pause"), ("web2", "disconnect"), ("host:docker3", "down"))


@dataclass
class FaultFigures:
    """One fault's timings and what the load saw."""

    name: str
    down_after_s: float
    check: str
    failed_before_down: int
    slow_before_down: int
    sent_before_down: int
    up_after_s: float
    failed_total: int
    sent_total: int


def write_reference(lab: LabStatus, path: Path) -> Topology:
    """The reference sample pointed at the lab."""
    data: dict[str, Any] = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["name"] = "bench-faults"
    data["hosts"] = {
        name: {"url": lab.host(name).socket_url, "address": lab.host(name).address}
        for name in data["hosts"]
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_topology(path)


class StateWatch:
    """web2's status and last check in the VIP's stats, on demand."""

    def __init__(self, topology: Topology) -> None:
        vip = topology.vips[VIP]
        self._url = vip_stats_url(topology, vip)
        self._credentials = resolve_stats_credentials(topology, vip)
        self._backend = vip.haproxy_backend
        self._stats = StatsClient()

    def row(self, server: str) -> tuple[str, str]:
        """(state, check status) of `server`, ("", "") while the page does not answer."""
        try:
            rows = self._stats.fetch(self._url, self._credentials, None, self._backend)
        except StatsUnavailable:
            return "", ""
        row = rows.server(server)
        return (row.state, row.check_status) if row is not None else ("", "")

    def wait(self, server: str, state: str) -> tuple[float, str]:
        """Poll every 50 ms (bounded) until `server` is in `state`; wall time and check."""
        deadline = time.monotonic() + BOUND_S
        while time.monotonic() < deadline:
            seen, check = self.row(server)
            if seen == state:
                return time.time(), check
            time.sleep(0.05)
        raise RuntimeError(f"{server} not {state} within {BOUND_S:g} s")

    def close(self) -> None:
        """Close the stats client."""
        self._stats.close()


def fault_round(hosts: DockerHosts, topology: Topology, target: str, kind: str) -> FaultFigures:
    """One fault under 50 req/s: DOWN after the fault, UP after the clear, the failures."""
    outcomes: list[Outcome] = []
    spec = TrafficSpec(
        url=vip_url(topology, topology.vips[VIP]), rate=50, duration_s=120, timeout_s=30
    )
    generator = TrafficGenerator(spec, sink=outcomes.append)
    watch = StateWatch(topology)
    try:
        watch.wait("web2", "UP")
        generator.start()
        time.sleep(3.0)
        faulted = time.time()
        add_fault(hosts, topology, fault_request(target, kind))
        down, check = watch.wait("web2", "DOWN")
        time.sleep(2.0)
        cleared = time.time()
        clear_faults(hosts, topology, target)
        up, _ = watch.wait("web2", "UP")
        time.sleep(1.0)
    finally:
        tally = generator.stop(timeout=35.0)
        clear_faults(hosts, topology)
        watch.close()
    during = [o for o in outcomes if faulted <= o.sent_at <= down]
    return FaultFigures(
        name=f"{kind} {target}",
        down_after_s=down - faulted,
        check=check,
        failed_before_down=sum(1 for o in during if not o.ok),
        slow_before_down=sum(1 for o in during if o.ok and o.latency_s > 1.0),
        sent_before_down=len(during),
        up_after_s=up - cleared,
        failed_total=tally.failed + tally.in_flight,
        sent_total=tally.sent,
    )


def container_pids(hosts: DockerHosts, topology: Topology) -> dict[str, int]:
    """The LB's and the backends' pids (for their namespaces' counters)."""
    vip = topology.vips[VIP]
    where = {"LB": (vip.host, vip.container)}
    where.update({name: (b.host, name) for name, b in topology.backends.items()})
    pids = {}
    for label, (host, container) in where.items():
        inspect: Callable[[str], Any] = hosts.client(host).api.inspect_container
        pids[label] = int(inspect(container)["State"]["Pid"])
    return pids


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lab", default="lbflt")
    parser.add_argument("--subnet", default="198.18.9.0/24")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load run")
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--panel-only", action="store_true", help="only part 4: no lab needed")
    args = parser.parse_args()
    if args.panel_only:
        return traffic_panel.main([])
    os.environ.setdefault("LBTUI_STATS_PASSWORD", "bench-faults")
    spec = recorded_spec(args.lab) or LabSpec(name=args.lab, hosts=3, subnet=args.subnet)
    was_up = lab_status(spec).healthy
    lab = lab_up(spec)
    with tempfile.TemporaryDirectory() as folder:
        topology = write_reference(lab, Path(folder) / "bench-faults.yaml")
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            rounds = []
            if not args.skip_faults:
                check = topology.vips[VIP].health_check
                print(
                    f"faults at 50 req/s (fresh); checks every {check.interval_ms} ms, "
                    f"fall {check.fall}, rise {check.rise}",
                    flush=True,
                )
                for target, kind in FAULTS:
                    rounds.append(fault_round(hosts, topology, target, kind))
                    print_round(rounds[-1])
            url = vip_url(topology, topology.vips[VIP])
            address = topology.hosts[topology.vips[VIP].host].address
            port = topology.vips[VIP].publish or 80
            pids = container_pids(hosts, topology)
            for workers in (8, 50):
                print(f"\n1000 req/s of fresh connections, {workers} workers, {args.seconds:g} s")
                print_comparison(compare(url, address, port, pids, 1000.0, workers, args.seconds))
        finally:
            teardown(hosts, topology, leave_swarm=True)
            hosts.close()
            if not was_up:
                lab_down(spec)
    print()
    return traffic_panel.main([])


def print_round(r: FaultFigures) -> None:
    """One fault's line."""
    print(
        f"  {r.name:<19} DOWN after {r.down_after_s:5.1f} s ({r.check}); sent meanwhile "
        f"{r.sent_before_down}, failed {r.failed_before_down}, over 1 s {r.slow_before_down}; "
        f"UP {r.up_after_s:4.1f} s after clear; whole run {r.failed_total} of {r.sent_total} "
        "failed or unfinished",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
