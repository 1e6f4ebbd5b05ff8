"""Apply with 3 workers on the real lab ends where apply with 1 does, and says so in one order.

Three VIPs on three hosts, four plain backends over the three hosts and a service of
three tasks: applied with `--parallel 1`, torn down with `--parallel 3` (leaving the
swarm), then applied with `--parallel 3`. Both applies must leave the same containers,
networks and service, print the same progress lines in the same order, and serve the
same servers through every VIP. The SDK client of one host is also driven from many
threads at once, as the jobs (and the dashboard's pollers) do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from lbtui.cli import main
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.topology.model import LABEL_TOPOLOGY, Topology
from lbtui.lab import LabStatus
from tests.integration.probes import labelled_resources, sdk, served_by, wait_serving
from tests.integration.topologies import SAMPLES, lab_topology

pytestmark = pytest.mark.integration

SERVICE = {
    "image": "lbtui/web:lab",
    "network": "shared_backend",
    "port": 80,
    "replicas": 3,
    "placement": ["docker1", "docker2", "docker3"],
}
SERVICE_VIP = {
    "host": "docker3",
    "container": "svc_lb",
    "image": "lbtui/haproxy:lab",
    "network": "shared_backend",
    "connect_bridge": True,
    "publish": 8082,
    "servers": ["svc"],
    "stats": {"password_env": "LBTUI_STATS_PASSWORD"},
}
SWARM_SERVICE = "com.docker.swarm.service.name"
#: A progress line without its detail (container ids, timings differ from run to run).
_LINE = re.compile(r"^(started|done|skipped|failed)\s+(.*? on [^\s:]+)")


@pytest.fixture
def topology(lab: LabStatus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Topology]:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "parallel-test")
    sample = yaml.safe_load((SAMPLES / "two-vips.yaml").read_text(encoding="utf-8"))
    edit = {"services": {"svc": SERVICE}, "vips": {**sample["vips"], "svc": SERVICE_VIP}}
    topology = lab_topology(lab, "two-vips.yaml", tmp_path, edit=edit)
    try:
        yield topology
    finally:
        main(["teardown", str(topology.source), "--leave-swarm"])
    assert labelled_resources(lab, topology) == []


@pytest.mark.parametrize("tls", [False, True], ids=["unix", "tls"])
def test_one_hosts_client_answers_many_threads_at_once(
    lab: LabStatus, tmp_path: Path, tls: bool
) -> None:
    topology = lab_topology(lab, "two-vips.yaml", tmp_path, tls=tls)
    with DockerHosts(topology) as hosts:

        def read(_: int) -> tuple[object, ...]:
            return (
                sorted(n.id for n in hosts.list_networks("docker1", {})),
                hosts.swarm_state("docker1"),
                sorted(c.id for c in hosts.list_containers("docker1", {})),
                hosts.find_container("docker1", "no-such-container"),
            )

        expected = read(0)
        assert read(0) == expected, "the host is still changing: nothing to compare with"
        # More threads than the client's connection pool holds (10), all on one client.
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(read, range(160)))
    assert expected[0], "docker1 lists its networks (bridge, host, none at least)"
    assert answers == [expected] * 160


def _apply(path: str, parallel: int, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], float]:
    started = time.perf_counter()
    assert main(["apply", path, "--parallel", str(parallel)]) == 0
    seconds = time.perf_counter() - started
    lines = []
    for line in capsys.readouterr().out.splitlines():
        found = _LINE.match(line)
        if found is not None:
            lines.append(" ".join(found.groups()))
    return lines, seconds


def _state(lab: LabStatus, topology: Topology) -> dict[str, Any]:
    """Containers (service tasks by service), networks and services as the engines say."""
    label = f"{LABEL_TOPOLOGY}={topology.name}"
    containers: list[tuple[str, ...]] = []
    networks: list[tuple[str, ...]] = []
    for host in sorted(topology.hosts):
        with sdk(lab, host) as client:
            found = client.containers.list(all=True, filters={"label": label})
            # A service's task containers carry swarm's labels, not the topology's.
            found += client.containers.list(all=True, filters={"label": f"{SWARM_SERVICE}=svc"})
            for c in found:
                service = c.labels.get(SWARM_SERVICE)
                attached = sorted(c.attrs["NetworkSettings"]["Networks"])
                name = f"task of {service}" if service else c.name
                containers.append((name, host, c.status, c.image.tags[0], *attached))
            networks += [
                (n.name, host, n.attrs["Driver"])
                for n in client.networks.list(filters={"label": label})
            ]
    with sdk(lab, "docker1") as manager:
        services = [
            (s.name, s.attrs["Spec"]["Mode"]["Replicated"]["Replicas"])
            for s in manager.services.list(filters={"label": label})
        ]
    return {
        "containers": sorted(containers),
        "networks": sorted(networks),
        "services": sorted(services),
    }


def _serving(lab: LabStatus, topology: Topology) -> dict[str, Any]:
    front, api = topology.vips["front"], topology.vips["api"]
    wait_serving(lab.host(front.host).address, front.publish, {"front1", "front2"})
    wait_serving(lab.host(api.host).address, api.publish, {"api1", "api2"})
    svc = topology.vips["svc"]
    address = lab.host(svc.host).address
    deadline = time.monotonic() + 40
    while True:
        # The tasks answer with their container hostnames: new ones each apply, 3 of them.
        tasks = set(served_by(address, svc.publish, 6))
        if len(tasks) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return {"front": {"front1", "front2"}, "api": {"api1", "api2"}, "svc tasks": len(tasks)}


def test_three_workers_end_where_one_does(
    lab: LabStatus, topology: Topology, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(topology.source)
    lines_one, seconds_one = _apply(path, 1, capsys)
    state_one, serving_one = _state(lab, topology), _serving(lab, topology)
    assert main(["teardown", path, "--leave-swarm", "--parallel", "3"]) == 0
    assert labelled_resources(lab, topology) == []
    capsys.readouterr()
    lines_three, seconds_three = _apply(path, 3, capsys)
    state_three, serving_three = _state(lab, topology), _serving(lab, topology)
    with capsys.disabled():
        print(f"\ncold apply: --parallel 1 {seconds_one:.1f} s, --parallel 3 {seconds_three:.1f} s")
    assert state_three == state_one
    assert len(state_one["containers"]) == 4 + 3 + 3  # backends, LBs, service tasks
    assert (
        serving_three
        == serving_one
        == {
            "front": {"front1", "front2"},
            "api": {"api1", "api2"},
            "svc tasks": 3,
        }
    )
    # The same lines in the same order, whatever finished first.
    assert lines_three == lines_one
    assert "done service svc on docker1" in lines_one
    assert lines_one.index("done bridge svc_lb on docker3") > lines_one.index(
        "done lb svc_lb on docker3"
    )
    # A second apply, in parallel, changes nothing.
    assert main(["apply", path, "--parallel", "3"]) == 0
    assert "no change" in capsys.readouterr().out
