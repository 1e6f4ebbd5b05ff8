"""Replacing an LB: the new one is made first, the old one serves until it runs, or again after."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lbtui.core.actions import apply, lb
from lbtui.core.errors import ActionFailed
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
NEXT = "haproxy-lbtui-next"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "unit-test")
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)


@pytest.fixture
def deployed(tmp_path: Path) -> tuple[FakeDockerHosts, Path]:
    source = SAMPLES / "presentation.yaml"
    fake = FakeDockerHosts(load_topology(source))
    apply(fake, fake.topology)
    fake.changes.clear()
    return fake, tmp_path


def _edited(tmp_path: Path, old: str, new: str) -> Topology:
    text = (SAMPLES / "presentation.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_topology(path)


def _lb_calls(fake: FakeDockerHosts) -> list[tuple[str, ...]]:
    return [c[:3] for c in fake.changes if "haproxy" in c[2:] or NEXT in c[2:]]


def test_a_changed_lb_is_created_before_the_old_one_stops(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    old_id = fake.engines["docker1"].containers["haproxy"].id
    edited = _edited(tmp_path, 'image: "lbtui/haproxy:lab"', 'image: "lbtui/haproxy:next"')
    apply(fake, edited)
    assert _lb_calls(fake) == [
        ("create_container", "docker1", NEXT),
        ("connect_network", "docker1", "bridge"),
        ("put_files", "docker1", NEXT),
        ("stop_container", "docker1", "haproxy"),
        ("start_container", "docker1", NEXT),
        ("remove_container", "docker1", "haproxy"),
        ("rename_container", "docker1", NEXT),
    ]
    now = fake.engines["docker1"].containers["haproxy"]
    assert (now.running, now.image, now.id != old_id) == (True, "lbtui/haproxy:next", True)
    assert NEXT not in fake.engines["docker1"].containers
    # Already on bridge: the bridge step has nothing left to do.
    assert [c for c in apply(fake, edited) if c.changes] == []


def test_a_new_port_taken_by_another_process_leaves_the_old_lb_untouched(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    fake.taken_ports["docker1"] = {8081}
    edited = _edited(tmp_path, "publish: 80 ", "publish: 8081 ")
    with pytest.raises(ActionFailed) as raised:
        apply(fake, edited)
    first = str(raised.value).splitlines()[0]
    assert first == (
        "VIP presentation: the new LB could not start (port 8081 on docker1 is taken by another "
        "process); the old LB was not touched and serves"
    )
    # The old LB publishes another port: it never had to stop.
    assert ("stop_container", "docker1", "haproxy") not in _lb_calls(fake)
    assert fake.engines["docker1"].containers["haproxy"].running
    assert NEXT not in fake.engines["docker1"].containers


def test_a_new_lb_that_dies_at_start_gives_the_port_back_to_the_old_one(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    old_id = fake.engines["docker1"].containers["haproxy"].id
    fake.dies_on_start.add(NEXT)
    edited = _edited(tmp_path, 'image: "lbtui/haproxy:lab"', 'image: "lbtui/haproxy:next"')
    with pytest.raises(ActionFailed) as raised:
        apply(fake, edited)
    assert (
        str(raised.value).splitlines()[0].endswith("; the old LB was started again and serves")
    ), raised.value
    assert _lb_calls(fake)[-3:] == [
        ("start_container", "docker1", NEXT),
        ("remove_container", "docker1", NEXT),
        ("start_container", "docker1", "haproxy"),
    ]
    old = fake.engines["docker1"].containers["haproxy"]
    assert (old.id, old.running) == (old_id, True)


def test_when_the_old_lb_cannot_start_again_the_message_says_the_vip_is_down(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    fake.dies_on_start.update({NEXT, "haproxy"})
    edited = _edited(tmp_path, 'image: "lbtui/haproxy:lab"', 'image: "lbtui/haproxy:next"')
    with pytest.raises(ActionFailed, match=r"could not be started again .* is down: free port 80"):
        apply(fake, edited)


def test_an_interrupted_replacement_is_finished_or_cleared_by_the_next_apply(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, _ = deployed
    topology = fake.topology
    engine = fake.engines["docker1"]
    # Interrupted after the old LB was removed: the new one only needs its name.
    engine.containers[NEXT] = dataclasses.replace(engine.containers.pop("haproxy"), name=NEXT)
    apply(fake, topology)
    assert ("rename_container", "docker1", NEXT) in _lb_calls(fake)
    assert set(engine.containers) >= {"haproxy"} and NEXT not in engine.containers
    # Interrupted before: the half-made new one goes, the old one stays.
    fake.add_container("docker1", NEXT, labels=engine.containers["haproxy"].labels)
    fake.changes.clear()
    apply(fake, topology)
    assert _lb_calls(fake) == [("remove_container", "docker1", NEXT)]
