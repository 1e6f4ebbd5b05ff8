"""Helpers of the redeploy, server-control and traffic integration tests (real lab, real load)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficMode, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally
from lbtui.lab import LabStatus
from tests.integration.probes import wait_servers_up
from tests.integration.topologies import lab_topology

VIP = "presentation"
PASSWORD = "redeploy-test"
#: Requests per second of the background load; modest, so that 2 cores keep up.
RATE = 100.0
#: Every load in these tests ends by itself after this long, whatever happens.
LOAD_BOUND_S = 120.0


@dataclass
class Deployed:
    """The reference topology applied on the lab: its file, model and gateway."""

    path: Path
    base: dict[str, Any]
    """The file's YAML as first written; tests derive their edits from it."""
    topology: Topology
    hosts: DockerHosts

    def write(self, edit: Callable[[dict[str, Any]], None] | None = None) -> Topology:
        """Rewrite the topology file as the base with `edit` applied; the reloaded model."""
        data = yaml.safe_load(yaml.safe_dump(self.base))
        if edit is not None:
            edit(data)
        self.path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return load_topology(self.path, check_files=True)


@contextmanager
def deployed_reference(lab: LabStatus, folder: Path, prefix: str) -> Iterator[Deployed]:
    """Apply the reference topology (unique name) and tear it down afterwards, even on failure."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LBTUI_STATS_PASSWORD", PASSWORD)
        topology = lab_topology(lab, "presentation.yaml", folder, name=f"{prefix}-{time.time_ns()}")
        assert topology.source is not None
        base = yaml.safe_load(topology.source.read_text(encoding="utf-8"))
        hosts = DockerHosts(topology)
        try:
            # apply itself waits for a freshly joined swarm's DNS: no retry here.
            apply(hosts, topology)
            wait_servers_up(topology, VIP)
            yield Deployed(topology.source, base, topology, hosts)
        finally:
            # The file may name more backends than the first topology (web3): tear down that.
            teardown(hosts, load_topology(topology.source), leave_swarm=True)
            hosts.close()


@contextmanager
def load(
    topology: Topology, mode: TrafficMode = "fresh", rate: float = RATE, timeout_s: float = 5.0
) -> Iterator[TrafficGenerator]:
    """Steady bounded load on the VIP for the duration of the block; always stopped."""
    spec = TrafficSpec(
        url=vip_url(topology, topology.vips[VIP]),
        rate=rate,
        duration_s=LOAD_BOUND_S,
        mode=mode,
        connections=4,
        timeout_s=timeout_s,
    )
    generator = TrafficGenerator(spec)
    generator.start()
    try:
        wait_for(lambda: generator.tally().ok >= 20, "the load to get answers")
        yield generator
    finally:
        generator.stop()


def wait_for(condition: Callable[[], bool], what: str, deadline_s: float = 30.0) -> float:
    """Poll `condition` until true (bounded); the monotonic time it became true."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


def more_answers(generator: TrafficGenerator, since: TrafficTally, count: int) -> TrafficTally:
    """Wait until `count` more answers arrived after `since`; the tally then."""
    wait_for(lambda: generator.tally().ok >= since.ok + count, f"{count} more answers")
    return generator.tally()


def failure_report(tally: TrafficTally) -> str:
    """A readable account of failures for assertion messages."""
    return f"{tally.failed} failed of {tally.sent}: {dict(tally.errors)}"
