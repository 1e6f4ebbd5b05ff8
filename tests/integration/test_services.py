"""A swarm service behind a VIP on the real lab: placed by host, followed through DNS, scaled.

The services sample (4 replicas over 3 hosts) is applied once for the module; the
tests then look at it through HAProxy's stats, plain HTTP, the CLI and the SDK, and
scale it to 8 and to 2 under load from lbtui's own traffic generator.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lbtui.cli import main
from lbtui.core.actions import apply, collect_status, plan, teardown
from lbtui.core.actions.steps import Verdict
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.docker.services import NODE_HOST_LABEL
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, StatsRow, vip_stats_url
from lbtui.core.topology.limits import slot_service
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.lab import LabStatus
from tests.integration.probes import labelled_resources, sdk
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration

VIP = "front"
SERVICE = "web"
#: Bound of every wait for HAProxy to see a change (DNS re-resolution, checks).
DEADLINE_S = 40.0


@dataclass
class Deployed:
    topology: Topology
    path: Path
    hosts: DockerHosts


@pytest.fixture(scope="module")
def deployed(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    folder = tmp_path_factory.mktemp("services")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LBTUI_STATS_PASSWORD", "services-test")
        topology = lab_topology(lab, "services.yaml", folder)
        assert topology.source is not None
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            yield Deployed(topology, topology.source, hosts)
        finally:
            teardown(hosts, topology)
            hosts.close()
        assert labelled_resources(lab, topology) == []
        with sdk(lab, "docker1") as docker1:
            assert docker1.services.list(filters={"name": SERVICE}) == []


def slot_rows(deployed: Deployed) -> list[StatsRow]:
    """The service's template slots as the VIP's stats page shows them now."""
    topology = deployed.topology
    vip = topology.vips[VIP]
    credentials = resolve_stats_credentials(topology, vip)
    with StatsClient() as client:
        stats = client.fetch(
            vip_stats_url(topology, vip), credentials, vip.frontend_name, vip.haproxy_backend
        )
    return [row for row in stats.servers if slot_service(row.svname) == SERVICE]


def wait_up(deployed: Deployed, count: int) -> list[StatsRow]:
    """Wait until exactly `count` slots are UP after a passed check and the rest in MAINT."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        rows = slot_rows(deployed)
        up = [r for r in rows if r.state == "UP" and r.check_status.endswith("OK")]
        if len(up) == count and all(r.state in ("UP", "MAINT") for r in rows):
            return up
        if time.monotonic() >= deadline:
            states = Counter(r.state for r in rows)
            raise AssertionError(f"not {count} slots UP within {DEADLINE_S} s: {states}")
        time.sleep(0.5)


def test_nodes_carry_their_topology_host_names(deployed: Deployed, lab: LabStatus) -> None:
    with sdk(lab, "docker1") as docker1:
        labels = {
            n.attrs["Spec"].get("Labels", {}).get(NODE_HOST_LABEL) for n in docker1.nodes.list()
        }
    assert labels == {"docker1", "docker2", "docker3"}


def test_four_tasks_on_three_hosts_all_up_and_round_robin(deployed: Deployed) -> None:
    status = collect_status(deployed.hosts, deployed.topology)
    (service,) = status.services
    assert (service.desired, service.running) == (4, 4)
    assert {task.host for task in service.tasks} == {"docker1", "docker2", "docker3"}
    up = wait_up(deployed, 4)
    assert len(up) == 4
    url = vip_url(deployed.topology, deployed.topology.vips[VIP])
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        answers = [client.get(url, headers={"Connection": "close"}) for _ in range(8)]
    slots = [a.headers["X-Served-By"] for a in answers]
    pages = [a.text.split()[2] for a in answers]  # "served by <container hostname>"
    assert all(a.status_code == 200 for a in answers)
    assert Counter(slots) == dict.fromkeys({r.svname for r in up}, 2), slots
    assert len(set(pages)) == 4, pages
    assert slots[:4] == slots[4:], "round robin visits every task once per turn"


def test_plan_keeps_a_deployed_service(deployed: Deployed) -> None:
    changes = {(c.step, c.target): c for c in plan(deployed.hosts, deployed.topology)}
    assert changes[("service", SERVICE)].verdict is Verdict.KEEP
    assert all(c.verdict is Verdict.KEEP for c in changes.values() if c.step == "node")


def test_scale_to_8_then_2_under_load_drops_nothing(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    url = vip_url(deployed.topology, deployed.topology.vips[VIP])
    spec = TrafficSpec(url=url, rate=100, duration_s=90, mode="fresh", connections=8)
    seen: dict[int, int] = {}
    with TrafficGenerator(spec) as generator:  # started on entering
        time.sleep(1.0)
        for count in (8, 2):
            code = main(["scale", str(deployed.path), SERVICE, str(count), "--json"])
            result = json.loads(capsys.readouterr().out)
            assert code == 0
            assert (result["after"], len(result["serving"][VIP])) == (count, count), result
            assert not result["notes"], result
            with capsys.disabled():  # a record of the timings, kept out of the next JSON read
                print(f"scale to {count}: {result['seconds']} s, drained {result['drained']}")
            seen[count] = len(wait_up(deployed, count))
            time.sleep(1.0)
        tally = generator.stop()
    print(f"traffic: {tally.sent} sent, {tally.failed} failed, servers {dict(tally.servers)}")
    assert seen == {8: 8, 2: 2}
    assert tally.sent > 200 and tally.failed == 0, tally.as_dict()
    assert len(tally.servers) >= 8, tally.servers
    assert len(result["drained"]) == 6, result


def test_plan_and_apply_bring_the_count_back(deployed: Deployed) -> None:
    changes = {(c.step, c.target): c for c in plan(deployed.hosts, deployed.topology)}
    change = changes[("service", SERVICE)]
    assert (change.verdict, change.reason) == (Verdict.SCALE, "replicas 2 -> 4")
    done = [c for c in apply(deployed.hosts, deployed.topology) if c.changes]
    assert [(c.step, c.verdict) for c in done] == [("service", Verdict.SCALE)]
    wait_up(deployed, 4)
    assert [c for c in apply(deployed.hosts, deployed.topology) if c.changes] == []
