"""apply / plan decisions on an in-memory gateway: order, idempotence, drift, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions import Verdict, apply, lb, plan
from lbtui.core.actions.specs import SERVER_NAME_ENV
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.parse import SwarmState
from lbtui.core.errors import ActionFailed, ConfigRejected, HostUnreachable
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS, EMPTY_SERVER_STATE
from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import LABEL_ROLE, LABEL_SWARM_MEMBER, LABEL_TOPOLOGY, Topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "unit-test")
    # The fake's containers cannot die after a start: no need to watch them settle.
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)


@pytest.fixture
def topology() -> Topology:
    return load_topology(SAMPLES / "presentation.yaml")


@pytest.fixture
def fake(topology: Topology) -> FakeDockerHosts:
    return FakeDockerHosts(topology)


def test_fake_is_a_gateway(fake: FakeDockerHosts) -> None:
    gateway: DockerGateway = fake
    assert gateway.host("docker1").name == "docker1"


def test_cold_apply_runs_the_recipe_in_order(topology: Topology, fake: FakeDockerHosts) -> None:
    events: list[ProgressEvent] = []
    # One worker: the engines see the calls in exactly this order (see test_schedule).
    done = apply(fake, topology, events.append, parallel=1)
    assert [(c.step, c.target, c.verdict) for c in done] == [
        ("swarm", "manager", Verdict.INIT),
        ("swarm", "worker", Verdict.JOIN),
        ("swarm", "worker", Verdict.JOIN),
        ("network", "presentation_backend", Verdict.CREATE),
        ("backend", "web1", Verdict.CREATE),
        ("backend", "web2", Verdict.CREATE),
        ("lb", "haproxy", Verdict.CREATE),
        ("bridge", "haproxy", Verdict.CONNECT),
    ]
    calls = [c[:3] for c in fake.changes if not c[2].startswith("lbtui-check-")]
    # Each node lbtui puts in the swarm is labelled so, through the manager.
    assert calls[:7] == [
        ("swarm_init", "docker1", "198.18.0.11"),
        ("label_swarm_node", "docker1", "node-docker1"),
        ("swarm_join", "docker2", "198.18.0.11"),
        ("label_swarm_node", "docker1", "node-docker2"),
        ("swarm_join", "docker3", "198.18.0.11"),
        ("label_swarm_node", "docker1", "node-docker3"),
        ("create_network", "docker1", "presentation_backend"),
    ]
    assert fake.node_labels == {
        f"node-{host}": {LABEL_SWARM_MEMBER: topology.id}
        for host in ("docker1", "docker2", "docker3")
    }
    # The config is validated in a throwaway container, removed, before the LB exists.
    check = next(c for c in fake.changes if c[0] == "create_container" and "check" in c[2])
    lb_created = fake.changes.index(("create_container", "docker1", "haproxy"))
    assert fake.changes.index(check) < lb_created
    assert ("remove_container", "docker1", check[2]) in fake.changes[:lb_created]
    # The LB gets its config before it starts, then the bridge.
    assert fake.changes[lb_created + 1][:3] == ("put_files", "docker1", "haproxy")
    assert fake.changes[lb_created + 2] == ("start_container", "docker1", "haproxy")
    assert fake.changes[-1] == ("connect_network", "docker1", "bridge", "haproxy")
    phases = {(e.step, e.target, e.phase) for e in events}
    assert ("lb", "haproxy", Phase.DONE) in phases
    assert ("validate", "presentation", Phase.DONE) in phases


def test_backend_container_is_named_labelled_and_restarting(
    topology: Topology, fake: FakeDockerHosts
) -> None:
    apply(fake, topology)
    web1 = fake.requests["web1"]
    assert (web1.image, web1.network, web1.hostname) == (
        "lbtui/web:lab",
        "presentation_backend",
        "web1",
    )
    assert web1.environment[SERVER_NAME_ENV] == "web1"
    assert web1.restart_policy == "unless-stopped"
    assert web1.labels[LABEL_TOPOLOGY] == "presentation"
    assert web1.labels[LABEL_ROLE] == "backend"
    lb = fake.requests["haproxy"]
    assert lb.ports == {"80/tcp": 80}
    assert lb.labels[LABEL_ROLE] == "lb"
    assert fake.engines["docker1"].files[("haproxy", CONFIG_PATH)].startswith(b"# haproxy.cfg")


def test_second_apply_changes_nothing(topology: Topology, fake: FakeDockerHosts) -> None:
    apply(fake, topology)
    fake.changes.clear()
    events: list[ProgressEvent] = []
    done = apply(fake, topology, events.append)
    assert fake.changes == []
    assert all(c.verdict is Verdict.KEEP for c in done)
    assert {e.phase for e in events} == {Phase.SKIPPED}
    assert all(not c.changes for c in plan(fake, topology))


def test_unreachable_host_stops_apply_before_any_change(
    topology: Topology, fake: FakeDockerHosts
) -> None:
    fake.unreachable.add("docker3")
    with pytest.raises(HostUnreachable) as raised:
        apply(fake, topology)
    assert raised.value.host == "docker3"
    assert "docker3.sock" in str(raised.value)
    assert fake.changes == []


def test_a_host_in_another_swarm_is_refused(topology: Topology, fake: FakeDockerHosts) -> None:
    fake.engines["docker3"].swarm = SwarmState("active", "n3", "", False, "x", ("elsewhere",))
    with pytest.raises(ActionFailed, match="docker3 is already in another swarm"):
        apply(fake, topology)
    assert fake.changes == []


def test_a_foreign_container_of_the_same_name_is_refused(
    topology: Topology, fake: FakeDockerHosts
) -> None:
    apply(fake, topology, step="overlay")
    fake.add_container("docker2", "web1", labels={"owner": "someone"})
    with pytest.raises(ActionFailed, match="web1 on docker2 was not created by lbtui"):
        plan(fake, topology)


def test_image_drift_is_planned_as_replace_with_the_reason(
    topology: Topology, fake: FakeDockerHosts, tmp_path: Path
) -> None:
    assert topology.source is not None
    # One file edited in place: the same topology (its id comes from the file's path).
    file = tmp_path / "presentation.yaml"
    file.write_text(topology.source.read_text())
    apply(fake, load_topology(file))
    file.write_text(
        topology.source.read_text().replace(
            'web2: {host: docker3, image: "lbtui/web:lab"', 'web2: {host: docker3, image: "web:2"'
        )
    )
    edited = load_topology(file)
    fake.changes.clear()
    planned = [c for c in plan(fake, edited) if c.changes]
    assert [(c.target, c.verdict, c.reason) for c in planned] == [
        ("web2", Verdict.REPLACE, "image changed lbtui/web:lab -> web:2")
    ]
    assert fake.changes == []
    done = [c for c in apply(fake, edited) if c.changes]
    assert [c.target for c in done] == ["web2"]
    assert ("remove_container", "docker3", "web2") in fake.changes


def test_config_drift_reloads_without_recreating(
    topology: Topology, fake: FakeDockerHosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(fake, topology)
    fake.changes.clear()
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "a new password")
    (change,) = [c for c in plan(fake, topology) if c.changes]
    assert (change.target, change.verdict, change.reason) == (
        "haproxy",
        Verdict.RELOAD,
        "config drift",
    )
    state_file = DEFAULT_OPTIONS.server_state_file
    # What an earlier redeploy saved (web2 drained) must not come back with this reload.
    fake.put_files("docker1", "haproxy", {state_file: b"1\n# drained web2\n"})
    fake.changes.clear()
    apply(fake, topology)
    lb_calls = [c for c in fake.changes if c[2] == "haproxy" or c[-1] == "haproxy"]
    assert lb_calls == [
        ("put_files", "docker1", "haproxy", *sorted([CONFIG_PATH, state_file])),
        ("signal_container", "docker1", "haproxy", "SIGUSR2"),
    ]
    assert fake.read_file("docker1", "haproxy", state_file) == EMPTY_SERVER_STATE.encode()


def test_a_stopped_backend_is_started(topology: Topology, fake: FakeDockerHosts) -> None:
    apply(fake, topology)
    fake.set_state("docker3", "web2", "exited")
    (change,) = [c for c in plan(fake, topology) if c.changes]
    assert (change.target, change.verdict, change.reason) == (
        "web2",
        Verdict.START,
        "container is exited",
    )


def test_rejected_config_changes_nothing(topology: Topology, fake: FakeDockerHosts) -> None:
    apply(fake, topology, step="overlay")
    apply(fake, topology, step="backends")
    fake.changes.clear()
    fake.check_exit_code = 1
    fake.check_output = "[ALERT]    (1) : config : parsing [haproxy.cfg:3] : unknown keyword 'x'\n"
    with pytest.raises(ConfigRejected, match="unknown keyword 'x'"):
        apply(fake, topology, step="lb")
    assert "haproxy" not in fake.engines["docker1"].containers
    assert not [c for c in fake.engines["docker1"].containers if c.startswith("lbtui-check")]


def test_lb_needs_its_backends_running(topology: Topology, fake: FakeDockerHosts) -> None:
    apply(fake, topology, step="overlay")
    with pytest.raises(ActionFailed, match="backend web1 on docker2 is missing"):
        apply(fake, topology, step="lb")
    assert "haproxy" not in fake.engines["docker1"].containers


def test_bridge_step_needs_the_lb(topology: Topology, fake: FakeDockerHosts) -> None:
    with pytest.raises(ActionFailed, match="deploy it first"):
        apply(fake, topology, step="bridge")


def test_network_with_other_flags_is_replaced_only_when_unused(
    topology: Topology, fake: FakeDockerHosts, tmp_path: Path
) -> None:
    apply(fake, topology, step="overlay")
    assert topology.source is not None
    changed = tmp_path / "changed.yaml"
    # Another file: the same topology only through an explicit `id:`.
    text = topology.source.read_text().replace("internal: true", "internal: false")
    changed.write_text(f"id: {topology.id}\n{text}")
    edited = load_topology(changed)
    (change,) = [c for c in plan(fake, edited) if c.step == "network"]
    assert (change.verdict, change.reason) == (Verdict.REPLACE, "internal True -> False")
    apply(fake, topology, step="backends")
    fake.add_container("docker1", "user", networks=["presentation_backend"])
    with pytest.raises(ActionFailed, match=r"internal True -> False.*containers are attached"):
        plan(fake, edited)


def test_a_check_that_never_finishes_changes_nothing_and_says_why(
    fake: FakeDockerHosts, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(fake, topology, step="overlay")
    apply(fake, topology, step="backends")
    fake.check_output = "[NOTICE] resolving web1"

    def hang(name: str, container: str, timeout_s: float) -> int:
        raise ActionFailed(f"container {container} on {name} did not finish within 30 s")

    monkeypatch.setattr(fake, "wait_container", hang)
    before = list(fake.changes)
    with pytest.raises(ActionFailed) as raised:
        apply(fake, topology, step="lb")
    message = str(raised.value)
    assert "haproxy -c did not finish within 30 s" in message
    assert "nothing was changed" in message and "resolving web1" in message
    made = fake.changes[len(before) :]
    # Only the throwaway checking container came and went: the LB was never created.
    assert [change[0] for change in made] == [
        "create_container",
        "put_files",
        "start_container",
        "remove_container",
    ]
    assert all(change[2].startswith("lbtui-check-") for change in made)
    assert "haproxy" not in fake.engines["docker1"].containers


def test_a_container_whose_host_forgot_its_network_is_recreated(
    topology: Topology, fake: FakeDockerHosts
) -> None:
    apply(fake, topology)
    fake.set_state("docker3", "web2", "exited")
    old_id = fake.engines["docker3"].containers["web2"].id
    fake.start_errors["web2"] = "network 45slskkzq1acplc8od3w8o1i3 not found"
    fake.changes.clear()
    events: list[ProgressEvent] = []
    apply(fake, topology, events.append)
    assert [c[:3] for c in fake.changes if c[2] == "web2"] == [
        ("start_container", "docker3", "web2"),
        ("remove_container", "docker3", "web2"),
        ("create_container", "docker3", "web2"),
        ("start_container", "docker3", "web2"),
    ]
    web2 = fake.engines["docker3"].containers["web2"]
    assert web2.running and web2.id != old_id
    assert any("had forgotten the network" in e.detail for e in events)
    # Any other refusal is reported as it is.
    fake.set_state("docker3", "web2", "exited")
    fake.start_errors["web2"] = "no space left on device"
    with pytest.raises(ActionFailed, match="no space left on device"):
        apply(fake, topology)
