"""Rollouts on the real lab: a service and plain backends moved to another image under load.

One topology: service `web` (3 tasks over 3 hosts) behind VIP `front`, backends `app1`
and `app2` behind VIP `plain`. Load from lbtui's traffic generator runs through every
rollout and must see no failed request; a probe reads the pages, which tell the lab's
two web images apart (`lbtui/web:lab-v2` adds a `version v2` line). A third image,
made here, serves nothing on port 80, so its health check fails: those rollouts must
be rolled back with the old tasks or container serving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from lbtui.cli import main
from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import ProgressEvent
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally
from lbtui.lab import LabStatus
from tests.integration.probes import labelled_resources, sdk
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration

OLD, NEW = "lbtui/web:lab", "lbtui/web:lab-v2"
BROKEN = "lbtui/web:lab-broken"
HOSTS = ("docker1", "docker2", "docker3")
#: Bound on the probe: samples at most, and seconds between them.
PROBE_MAX, PROBE_EVERY_S = 1500, 0.1


@dataclass
class Deployed:
    topology: Topology
    path: Path
    hosts: DockerHosts


def _edit(lab: LabStatus) -> dict[str, Any]:
    address = lab.host("docker1").address
    assert address
    backends = {
        name: {"host": host, "image": OLD, "network": "app_overlay"}
        for name, host in (("app1", "docker2"), ("app2", "docker3"))
    }
    plain = {
        "host": "docker1",
        "container": "plain_lb",
        "image": "lbtui/haproxy:lab",
        "network": "app_overlay",
        "connect_bridge": True,
        "publish": 8080,
        "servers": ["app1", "app2"],
        "stats": {"password_env": "LBTUI_STATS_PASSWORD"},
    }
    services = {
        "web": {
            "image": OLD,
            "network": "app_overlay",
            "replicas": 3,
            "placement": list(HOSTS),
            "update": {"parallelism": 1, "order": "start-first"},
        }
    }
    front = {
        "host": "docker1",
        "container": "front_lb",
        "image": "lbtui/haproxy:lab",
        "network": "app_overlay",
        "connect_bridge": True,
        "publish": 80,
        "servers": ["web"],
        "stats": {"password_env": "LBTUI_STATS_PASSWORD"},
    }
    return {"backends": backends, "services": services, "vips": {"front": front, "plain": plain}}


@pytest.fixture(scope="module")
def deployed(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    folder = tmp_path_factory.mktemp("rollout")
    for host in HOSTS:  # the lab web image, listening on 8081 instead of 80
        with sdk(lab, host) as client:
            scratch = client.containers.create(OLD)
            scratch.commit("lbtui/web", "lab-broken", changes=["ENV PORT=8081"])
            scratch.remove()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LBTUI_STATS_PASSWORD", "rollout-test")
        topology = lab_topology(lab, "services.yaml", folder, edit=_edit(lab))
        assert topology.source is not None
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            yield Deployed(topology, topology.source, hosts)
        finally:
            teardown(hosts, topology)
            hosts.close()
            for host in HOSTS:
                with sdk(lab, host) as client:
                    client.images.remove(BROKEN)
        assert labelled_resources(lab, topology) == []


class Probe:
    """Reads the VIP's page every 0.1 s in a thread: (status, version) in order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[tuple[int, str]] = []
        self.marked = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(trust_env=False, timeout=5.0) as client:
            while not self._stop.is_set() and len(self.seen) < PROBE_MAX:
                try:
                    answer = client.get(self.url, headers={"Connection": "close"})
                    version = "v2" if "version v2" in answer.text else "old"
                    self.seen.append((answer.status_code, version))
                except httpx.HTTPError as error:
                    self.seen.append((0, type(error).__name__))
                self._stop.wait(PROBE_EVERY_S)

    def __enter__(self) -> Probe:
        self._thread.start()
        time.sleep(1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10.0)

    def mark(self) -> None:
        """Remember where the samples taken after the rollout returned begin."""
        self.marked = len(self.seen)

    def versions(self) -> list[str]:
        """The versions seen, consecutive repeats merged."""
        merged: list[str] = []
        for _, version in self.seen:
            if not merged or merged[-1] != version:
                merged.append(version)
        return merged

    def switched(self) -> None:
        """Old pages first, then a mix while tasks are replaced, new pages only at the end."""
        versions = [version for _, version in self.seen]
        after = versions[self.marked :]
        assert versions[0] == "old" and "v2" in versions, self.versions()
        assert after and set(after) == {"v2"}, after


def load(url: str) -> TrafficGenerator:
    """Bounded load: 50 requests/s for at most 150 s, fresh connections, no client retry."""
    return TrafficGenerator(
        TrafficSpec(url=url, rate=50, duration_s=150, mode="fresh", connections=8)
    )


def no_failure(tally: TrafficTally, probe: Probe) -> None:
    print(f"traffic: {tally.sent} sent, {tally.failed} failed, servers {dict(tally.servers)}")
    assert tally.sent > 100 and tally.failed == 0, tally.as_dict()
    assert all(status == 200 for status, _ in probe.seen), probe.seen


def edited(deployed: Deployed, backends: dict[str, str]) -> Topology:
    """The topology file with these backends' images changed, written and loaded again."""
    data = yaml.safe_load(deployed.path.read_text(encoding="utf-8"))
    for name, image in backends.items():
        data["backends"][name]["image"] = image
    deployed.path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_topology(deployed.path, check_files=True)


def test_service_rollout_under_load_switches_versions_without_a_failure(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    url = vip_url(deployed.topology, deployed.topology.vips["front"])
    with load(url) as generator, Probe(url) as probe:
        code = main(["rollout", str(deployed.path), "web", "--image", NEW])
        out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
        probe.mark()
        time.sleep(1.0)
        tally = generator.stop()
    print(out)  # shown when the test fails
    assert code == 0, out
    no_failure(tally, probe)
    probe.switched()
    for slot in (1, 2, 3):
        assert f"rollout web.{slot}" in out and "drained" in out, out
    assert out.count(f"replaced ({NEW}), UP in front after") == 3, out
    assert "3 tasks rolled to lbtui/web:lab-v2" in out


def test_service_rollout_to_a_failing_image_is_rolled_back(
    deployed: Deployed, lab: LabStatus, capsys: pytest.CaptureFixture[str]
) -> None:
    url = vip_url(deployed.topology, deployed.topology.vips["front"])
    with load(url) as generator, Probe(url) as probe:
        code = main(["rollout", str(deployed.path), "web", "--image", BROKEN])
        captured = capsys.readouterr()
        time.sleep(1.0)
        tally = generator.stop()
    print(captured.out, captured.err)  # shown when the test fails
    assert code == 1
    assert "was not UP within" in captured.err and "rolled back" in captured.err, captured.err
    assert f"3 tasks of {NEW} serve again" in captured.err, captured.err
    no_failure(tally, probe)
    assert probe.versions() == ["v2"], probe.versions()
    with sdk(lab, "docker1") as client:
        tasks = client.services.get("web").tasks(filters={"desired-state": "running"})
    images = [
        t["Spec"]["ContainerSpec"]["Image"] for t in tasks if t["Status"]["State"] == "running"
    ]
    assert images == [NEW] * 3, images


def test_redeploy_rolls_the_pool_service_back_to_the_file(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    url = vip_url(deployed.topology, deployed.topology.vips["front"])
    code = main(["redeploy", str(deployed.path), "front", "--plan"])
    plan = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert code == 0
    assert "roll service first, task by task: update service web" in plan, plan
    assert f"image changed {NEW} -> {OLD}" in plan, plan
    with load(url) as generator, Probe(url) as probe:
        code = main(["redeploy", str(deployed.path), "front", "--yes"])
        out = " ".join(capsys.readouterr().out.split())
        probe.mark()
        time.sleep(1.0)
        tally = generator.stop()
    print(out)  # shown when the test fails
    assert code == 0, out
    no_failure(tally, probe)
    after = [version for _, version in probe.seen[probe.marked :]]
    assert probe.seen[0][1] == "v2" and after and set(after) == {"old"}, probe.versions()
    assert out.count(f"replaced ({OLD}), UP in front after") == 3, out


def test_backend_image_change_rolls_one_container_at_a_time(deployed: Deployed) -> None:
    url = vip_url(deployed.topology, deployed.topology.vips["plain"])
    topology = edited(deployed, {"app1": NEW, "app2": NEW})
    events: list[ProgressEvent] = []
    with load(url) as generator, Probe(url) as probe:
        apply(deployed.hosts, topology, events.append, step="backends")
        probe.mark()
        time.sleep(1.0)
        tally = generator.stop()
    lines = [e.describe() for e in events]
    print("\n".join(lines))
    no_failure(tally, probe)
    probe.switched()
    for name in ("app1", "app2"):
        assert any(f"rollout {name}" in line and "drained in plain" in line for line in lines)
        assert any(
            f"backend {name}" in line and f"replaced ({NEW}), UP in plain after" in line
            for line in lines
        ), lines
    assert {"app1", "app2"} <= set(tally.servers)


def test_backend_failing_image_is_rolled_back_with_the_old_container_serving(
    deployed: Deployed, lab: LabStatus
) -> None:
    url = vip_url(deployed.topology, deployed.topology.vips["plain"])
    topology = edited(deployed, {"app1": BROKEN})
    with load(url) as generator, Probe(url) as probe:
        with pytest.raises(ActionFailed) as failed:
            apply(deployed.hosts, topology, step="backends")
        time.sleep(1.0)
        tally = generator.stop()
    message = str(failed.value)
    print(message)
    assert f"the new container ({BROKEN}) was not UP within" in message, message
    assert "rolled back: the old container serves again" in message, message
    no_failure(tally, probe)
    assert probe.versions() == ["v2"], probe.versions()
    with sdk(lab, "docker2") as client:
        app1 = client.containers.get("app1")
        assert (app1.status, app1.attrs["Config"]["Image"]) == ("running", NEW)
        assert not client.containers.list(all=True, filters={"name": "app1-lbtui-old"})
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        served = {client.get(url).headers["X-Served-By"] for _ in range(6)}
    assert served == {"app1", "app2"}, served
