"""Replacing an LB: the new one is made first, the old one serves until it runs, or again after."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions import apply, lb
from lbtui.core.errors import ActionFailed
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
NEXT = "haproxy-lbtui-next"
OLD = "haproxy-lbtui-old"
NEW_IMAGE = "lbtui/haproxy:next"


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
    # Another file of the same topology: only through the sample's own id.
    sample_id = load_topology(SAMPLES / "presentation.yaml").id
    path.write_text(f"id: {sample_id}\n" + text.replace(old, new), encoding="utf-8")
    return load_topology(path)


def _lb_calls(fake: FakeDockerHosts) -> list[tuple[str, ...]]:
    return [c[:4] for c in fake.changes if any(a.startswith("haproxy") for a in c[2:])]


def test_a_changed_lb_is_created_before_the_old_one_stops(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    old_id = fake.engines["docker1"].containers["haproxy"].id
    edited = _edited(tmp_path, 'image: "lbtui/haproxy:lab"', 'image: "lbtui/haproxy:next"')
    apply(fake, edited)
    assert [c[:3] for c in _lb_calls(fake)] == [
        ("create_container", "docker1", NEXT),
        ("connect_network", "docker1", "bridge"),
        ("put_files", "docker1", NEXT),
        ("stop_container", "docker1", "haproxy"),
        ("rename_container", "docker1", "haproxy"),
        ("rename_container", "docker1", NEXT),
        ("start_container", "docker1", "haproxy"),
        ("remove_container", "docker1", OLD),
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
    # The old LB publishes another port: the new one was tried first, the old never stopped.
    assert [c[:3] for c in _lb_calls(fake)] == [
        ("create_container", "docker1", NEXT),
        ("connect_network", "docker1", "bridge"),
        ("put_files", "docker1", NEXT),
        ("start_container", "docker1", NEXT),
        ("remove_container", "docker1", NEXT),
    ]
    assert fake.engines["docker1"].containers["haproxy"].running
    assert NEXT not in fake.engines["docker1"].containers


def test_a_new_lb_that_dies_at_start_gives_the_port_back_to_the_old_one(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    old_id = fake.engines["docker1"].containers["haproxy"].id
    fake.dies_on_start.add(NEW_IMAGE)
    edited = _edited(tmp_path, 'image: "lbtui/haproxy:lab"', f'image: "{NEW_IMAGE}"')
    with pytest.raises(ActionFailed) as raised:
        apply(fake, edited)
    assert (
        str(raised.value).splitlines()[0].endswith("; the old LB was started again and serves")
    ), raised.value
    assert [c[:3] for c in _lb_calls(fake)[-4:]] == [
        ("start_container", "docker1", "haproxy"),  # the new one, named, dies
        ("remove_container", "docker1", "haproxy"),
        ("rename_container", "docker1", OLD),
        ("start_container", "docker1", "haproxy"),  # the old one, named again
    ]
    old = fake.engines["docker1"].containers["haproxy"]
    assert (old.id, old.running) == (old_id, True)


def test_when_the_old_lb_cannot_start_again_the_message_says_the_vip_is_down(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, tmp_path = deployed
    fake.dies_on_start.update({NEW_IMAGE, "lbtui/haproxy:lab"})
    edited = _edited(tmp_path, 'image: "lbtui/haproxy:lab"', f'image: "{NEW_IMAGE}"')
    with pytest.raises(ActionFailed, match=r"could not be started again .* is down: free port 80"):
        apply(fake, edited)


def test_an_interrupted_replacement_is_cleared_by_the_next_apply(
    deployed: tuple[FakeDockerHosts, Path],
) -> None:
    fake, _ = deployed
    topology = fake.topology
    engine = fake.engines["docker1"]
    old_id = engine.containers["haproxy"].id
    labels = engine.containers["haproxy"].labels
    # Interrupted between the renames: the old LB (stopped) takes its name back, starts again.
    fake.stop_container("docker1", "haproxy", 1.0)
    fake.rename_container("docker1", "haproxy", OLD)
    fake.add_container("docker1", NEXT, state="created", labels=labels)
    fake.changes.clear()
    apply(fake, topology)
    assert [c[:4] for c in _lb_calls(fake)][:2] == [
        ("rename_container", "docker1", OLD, "haproxy"),
        ("remove_container", "docker1", NEXT),
    ]
    assert ("start_container", "docker1", "haproxy") in _lb_calls(fake)
    now = engine.containers["haproxy"]
    assert (now.id, now.running) == (old_id, True)
    assert not {OLD, NEXT} & set(engine.containers)
    # Interrupted after the new LB started: the old one, left under its temporary name, goes.
    fake.add_container("docker1", OLD, state="exited", labels=labels)
    fake.changes.clear()
    apply(fake, topology)
    assert _lb_calls(fake) == [("remove_container", "docker1", OLD)]
