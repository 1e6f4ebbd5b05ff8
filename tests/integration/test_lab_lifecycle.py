"""Lab lifecycle on its own lab `lbcycle`: idempotent up, recovery after a crash, clean down."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import docker
import pytest

from lbtui.core.progress import Phase, ProgressEvent
from lbtui.lab import WEB_IMAGE, LabSpec, LabStatus, lab_down, lab_status, lab_up, processes
from lbtui.lab.firewall import tagged_rules
from lbtui.lab.images import DIGEST_LABEL, lab_recipes
from lbtui.lab.mounts import mounts_under
from lbtui.lab.network import lab_namespaces, link_exists, stale_veths
from lbtui.lab.plan import plan_lab

pytestmark = pytest.mark.integration

SPEC = LabSpec(name="lbcycle", hosts=2, subnet="198.18.2.0/24")
PLAN = plan_lab(SPEC)


@pytest.fixture(scope="module")
def cycle_lab() -> Iterator[LabSpec]:
    """Lab `lbcycle`, brought up fresh and always taken down."""
    lab_down(SPEC)
    try:
        yield SPEC
    finally:
        lab_down(SPEC)


def up(spec: LabSpec) -> tuple[LabStatus, list[ProgressEvent]]:
    events: list[ProgressEvent] = []
    return lab_up(spec, events.append), events


def lab_processes() -> list[int]:
    """Live processes that belong to the lab by namespace or by a lab path on their command line."""
    inodes = {inode for inode in (processes.netns_inode(h.netns_path) for h in PLAN.hosts) if inode}
    found = set(processes.pids_in_netns(inodes)) if inodes else set()
    markers = (str(PLAN.run_dir) + "/", str(PLAN.state_dir) + "/")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            argv = " ".join(processes.cmdline(int(entry)))
            if any(marker in argv for marker in markers) and processes.alive(int(entry)):
                found.add(int(entry))
    return sorted(pid for pid in found if processes.alive(pid))


def test_up_twice_changes_nothing(cycle_lab: LabSpec) -> None:
    first, _ = up(cycle_lab)
    assert first.healthy
    for host in PLAN.hosts:  # plain, fresh Docker hosts, as in the recipe
        with closing(docker.DockerClient(base_url=host.socket_url, version="1.41")) as sdk:
            assert sdk.info()["Swarm"]["LocalNodeState"] == "inactive"
    started = time.monotonic()
    second, events = up(cycle_lab)
    elapsed = time.monotonic() - started
    assert [h.pid for h in second.hosts] == [h.pid for h in first.hosts]
    assert [h.engine_id for h in second.hosts] == [h.engine_id for h in first.hosts]
    changed = [e.describe() for e in events if e.phase in (Phase.STARTED, Phase.DONE)]
    assert changed == []
    assert "nothing to do" in events[-1].detail
    assert elapsed < 3.0


def answers_ping(address: str) -> bool:
    """True when the address answers one ICMP echo from the root namespace."""
    ping = subprocess.run(
        ["busybox", "ping", "-c", "1", "-W", "2", address], capture_output=True, timeout=10
    )
    return ping.returncode == 0


def test_up_rewires_a_deleted_bridge_without_restarting_engines(cycle_lab: LabSpec) -> None:
    before = lab_status(cycle_lab)
    address = before.hosts[0].address
    assert answers_ping(address)
    subprocess.run(["ip", "link", "del", PLAN.bridge], check=True)
    assert not answers_ping(address)
    after, events = up(cycle_lab)
    assert [h.pid for h in after.hosts] == [h.pid for h in before.hosts]
    done = {(e.step, e.target) for e in events if e.phase is Phase.DONE}
    assert ("create", f"bridge {PLAN.bridge}") in done
    assert {("attach", f"veth {h.veth}") for h in PLAN.hosts} <= done
    assert all(answers_ping(host.address) for host in after.hosts)


def test_fewer_hosts_removes_the_extra_ones_and_more_adds_them(cycle_lab: LabSpec) -> None:
    smaller = LabSpec(name=SPEC.name, hosts=1, subnet=SPEC.subnet)
    status, _ = up(smaller)
    assert [h.name for h in status.hosts] == ["docker1"]
    assert set(lab_namespaces(SPEC.name)) == {1}
    assert not link_exists(PLAN.hosts[1].veth)
    status, _ = up(cycle_lab)
    assert [h.name for h in status.hosts] == ["docker1", "docker2"]
    assert status.healthy


def test_up_recovers_after_every_daemon_is_killed(cycle_lab: LabSpec) -> None:
    before = lab_status(cycle_lab)
    host = PLAN.hosts[0]
    with closing(docker.DockerClient(base_url=host.socket_url, version="1.41")) as sdk:
        sdk.containers.run(WEB_IMAGE, name="cycleweb", detach=True)
    assert mounts_under([host.data_root]), "a running container should have mounts"
    daemons = [h.pid for h in before.hosts if h.pid is not None]
    assert len(daemons) == cycle_lab.hosts
    processes.send(daemons, signal.SIGKILL)
    assert processes.wait_gone(daemons, 10) == set()
    assert not lab_status(cycle_lab).healthy

    after, events = up(cycle_lab)
    assert after.healthy
    assert {h.pid for h in after.hosts}.isdisjoint(daemons)
    assert [h.engine_id for h in after.hosts] == [h.engine_id for h in before.hosts]
    assert any(e.step == "clean" and e.phase is Phase.DONE for e in events)
    assert not any(e.step == "import" and e.phase is Phase.DONE for e in events), "images kept"
    with closing(docker.DockerClient(base_url=host.socket_url, version="1.41")) as sdk:
        sdk.containers.get("cycleweb").start()
        assert sdk.containers.get("cycleweb").status in {"running", "created"}


def test_an_out_of_date_image_is_replaced_and_only_it(cycle_lab: LabSpec) -> None:
    host = PLAN.hosts[1]
    stale_tar = io.BytesIO()
    with tarfile.open(fileobj=stale_tar, mode="w") as tar:
        tar.addfile(tarfile.TarInfo("placeholder"), io.BytesIO(b""))
    with closing(docker.DockerClient(base_url=host.socket_url, version="1.41")) as sdk:
        sdk.api.import_image_from_data(
            stale_tar.getvalue(),
            repository="lbtui/web",
            tag="lab",
            changes=[f"LABEL {DIGEST_LABEL}=outdated"],
        )
        stale_id = sdk.images.get(WEB_IMAGE).id
    _, events = up(cycle_lab)
    imports = [(e.host, e.target) for e in events if e.step == "import" and e.phase is Phase.DONE]
    assert imports == [(host.name, f"image {WEB_IMAGE}")]
    with closing(docker.DockerClient(base_url=host.socket_url, version="1.41")) as sdk:
        current = sdk.images.get(WEB_IMAGE)
        assert current.labels[DIGEST_LABEL] == web_digest()
        assert stale_id not in {image.id for image in sdk.images.list(all=True)}


def web_digest() -> str:
    return next(recipe.digest for recipe in lab_recipes() if recipe.tag == WEB_IMAGE)


def test_down_leaves_nothing_of_the_lab(cycle_lab: LabSpec) -> None:
    lab_up(cycle_lab)
    assert lab_processes() and lab_namespaces(SPEC.name) and tagged_rules(PLAN)
    lab_down(cycle_lab)
    assert lab_namespaces(SPEC.name) == {}
    assert not link_exists(PLAN.bridge)
    assert stale_veths(SPEC.name, keep=()) == []
    assert processes.wait_gone(lab_processes(), 5) == set()
    assert lab_processes() == []
    assert mounts_under([PLAN.run_dir, PLAN.state_dir]) == []
    assert tagged_rules(PLAN) == []
    assert not PLAN.run_dir.exists() and not PLAN.state_dir.exists()
    assert not PLAN.lock_file.exists()
    ip_netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "lbcycle" not in ip_netns
    assert not Path("/run/netns/lbtui-lbcycle-docker1").exists()


def test_down_twice_says_nothing_to_remove(cycle_lab: LabSpec) -> None:
    events: list[ProgressEvent] = []
    lab_down(cycle_lab, events.append)
    assert [e.phase for e in events] == [Phase.SKIPPED]
    assert "nothing to remove" in events[0].detail
