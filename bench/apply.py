"""Cold and no-op `apply` of the reference topology on a lab; prints seconds, tears down after.

    .venv/bin/python bench/apply.py [--lab lbact] [--subnet 198.18.4.0/24] [--runs 3]

Cold = fresh hosts (no swarm, no network, no container) to serving; no-op = a second
apply with everything in place, from a new gateway (client setup included).
Targets (issue 3): cold < 20 s, no-op < 2 s. A lab this script brings up, it takes down.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.lab import LabSpec, LabStatus, lab_down, lab_status, lab_up, recorded_spec

SAMPLE = Path(__file__).resolve().parents[1] / "sample_topologies" / "presentation.yaml"


def lab_reference(lab: LabStatus, folder: Path) -> Topology:
    """The reference sample pointed at the lab's sockets and addresses."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["name"] = "bench-apply"
    data["hosts"] = {
        name: {"url": lab.host(name).socket_url, "address": lab.host(name).address}
        for name in data["hosts"]
    }
    path = folder / "bench-apply.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_topology(path)


def timed_apply(topology: Topology) -> tuple[float, int]:
    """Seconds of one apply from a fresh gateway, and how many resources it changed."""
    started = time.perf_counter()
    hosts = DockerHosts(topology)
    try:
        changes = apply(hosts, topology)
    finally:
        hosts.close()
    return time.perf_counter() - started, sum(1 for c in changes if c.changes)


def clean(topology: Topology) -> None:
    """Remove the topology and leave the swarm: the next apply starts cold."""
    hosts = DockerHosts(topology)
    try:
        teardown(hosts, topology, leave_swarm=True)
    finally:
        hosts.close()


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="lbact")
    parser.add_argument("--subnet", default="198.18.4.0/24")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("LBTUI_STATS_PASSWORD", "bench-apply")
    # A lab that exists keeps its own settings (e.g. TLS); only a missing one is made here.
    spec = recorded_spec(args.lab) or LabSpec(name=args.lab, hosts=3, subnet=args.subnet)
    was_up = lab_status(spec).healthy
    lab = lab_up(spec)
    cold: list[float] = []
    noop: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        topology = lab_reference(lab, Path(folder))
        try:
            for _ in range(max(1, args.runs)):
                clean(topology)
                seconds, changed = timed_apply(topology)
                cold.append(seconds)
                print(f"cold apply:  {seconds:6.2f} s ({changed} changes)", flush=True)
                seconds, changed = timed_apply(topology)
                noop.append(seconds)
                print(f"no-op apply: {seconds:6.2f} s ({changed} changes)", flush=True)
                if changed:
                    print("error: the second apply changed something", file=sys.stderr)
                    return 1
        finally:
            clean(topology)
            if not was_up:
                lab_down(spec)
    print(
        f"cold apply  median {statistics.median(cold):.2f} s, max {max(cold):.2f} s "
        f"(target < 20 s)\n"
        f"no-op apply median {statistics.median(noop):.2f} s, max {max(noop):.2f} s "
        f"(target < 2 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
