"""Nothing is lost when apply fails: bad input touches no host, a dead host is reported with
every resource's state, a replacement that cannot start leaves the old LB serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from lbtui.cli import main
from lbtui.commands import output
from lbtui.core.actions import apply, teardown
from lbtui.core.actions.lb_replace import next_name
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally
from lbtui.lab import LabSpec, LabStatus, lab_status, lab_up
from lbtui.lab.plan import plan_lab
from lbtui.lab.processes import wait_gone
from tests.integration.probes import labelled_resources, sdk, served_by, wait_servers_up
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration

HOSTS = ("docker1", "docker2", "docker3")
VIP = "presentation"
#: Steady load during a replacement: modest, so that two shared cores keep up.
RATE = 100.0
#: Every load here ends by itself after this long, whatever happens.
LOAD_BOUND_S = 90.0


@pytest.fixture(autouse=True)
def _stats_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "safety-test")


def engine_state(lab: LabStatus) -> dict[str, Any]:
    """Every container (id, state), network and the swarm membership of every lab host."""
    state: dict[str, Any] = {}
    for host in HOSTS:
        with sdk(lab, host) as client:
            swarm = client.info()["Swarm"]
            state[host] = {
                "containers": sorted(
                    (c.name, c.id, c.status) for c in client.containers.list(all=True)
                ),
                "networks": sorted((n.name, n.id) for n in client.networks.list()),
                "swarm": (swarm["LocalNodeState"], swarm.get("NodeID", "")),
            }
    return state


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_input_that_cannot_render_changes_nothing_on_any_host(
    lab: LabStatus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    assert topology.source is not None
    data = yaml.safe_load(topology.source.read_text(encoding="utf-8"))
    before = engine_state(lab)
    # Each refused where validate refuses it, with the file's line: none reaches a host.
    bad_port = dict(data, vips={VIP: {**data["vips"][VIP], "frontend_port": 9999}})
    bad_log = dict(data, vips={VIP: {**data["vips"][VIP], "log": {"target": '"x" #'}}})
    cases = {
        "frontend_port": _write(tmp_path / "port.yaml", bad_port),
        "log.target": _write(tmp_path / "log.yaml", bad_log),
    }
    for field, path in cases.items():
        for verb in ("validate", "plan", "apply"):
            assert main([verb, str(path)]) == 2, (field, verb)
            err = capsys.readouterr().err
            assert f"{path}:" in err and f"vips.{VIP}.{field}:" in err, err
            assert "Traceback" not in err
    # A stats password that cannot be stored: found by validate, and by apply before any host.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("LBTUI_STATS_PASSWORD")
        patch.setenv("XDG_STATE_HOME", str(blocker))
        for verb in ("validate", "apply"):
            assert main([verb, str(topology.source)]) == 2, verb
            err = capsys.readouterr().err
            assert f"vips.{VIP}.stats: cannot store the stats password" in err, err
    assert engine_state(lab) == before
    assert labelled_resources(lab, topology) == []


def test_a_host_that_dies_between_steps_is_named_and_apply_converges_once_it_is_back(
    lab: LabStatus, lab_spec: LabSpec, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    assert topology.source is not None
    docker3 = lab_status(lab_spec).host("docker3")
    assert docker3.pid is not None
    printer = output.progress_printer

    def stop_docker3_after_the_backends(out: Any) -> Reporter:
        report = printer(out)

        def hooked(event: ProgressEvent) -> None:
            report(event)
            if (event.phase, event.step, event.target) == (Phase.DONE, "backend", "web2"):
                assert docker3.pid is not None
                os.kill(docker3.pid, signal.SIGTERM)
                assert wait_gone([docker3.pid], 60.0) == set()

        return hooked

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(output, "progress_printer", stop_docker3_after_the_backends)
            assert main(["apply", str(topology.source)]) == 1
        captured = capsys.readouterr()
        assert "host docker3" in captured.err and "is unreachable" in captured.err
        out = " ".join(captured.out.split())
        assert "apply stopped; the topology's resources are now:" in out
        assert "host docker3: unreachable" in out
        assert "container web1 on docker2 (backend): running" in out
        assert "container web2 on docker3 (backend): unknown (host unreachable)" in out
        assert "container haproxy on docker1 (lb:presentation): missing" in out
        assert "network presentation_backend on docker1: exists" in out
    finally:
        lab_up(lab_spec)  # the lab brings the stopped daemon back (its data kept)
    assert main(["apply", str(topology.source)]) == 0
    capsys.readouterr()
    wait_servers_up(topology, VIP)
    address = lab.host("docker1").address
    assert set(served_by(address, 80, 4)) == {"web1", "web2"}
    assert main(["apply", str(topology.source)]) == 0
    assert "no change" in capsys.readouterr().out
    hosts = DockerHosts(topology)
    try:
        teardown(hosts, topology, leave_swarm=True)
    finally:
        hosts.close()


@contextmanager
def port_taken(lab: LabStatus, host: str, port: int) -> Iterator[int]:
    """A small listener holding `port` inside the host's network namespace; its pid."""
    index = HOSTS.index(host)
    netns = plan_lab(lab.spec).hosts[index].netns_path
    script = (
        "import socket, sys, time\n"
        f"s = socket.create_server(('0.0.0.0', {port}))\n"
        "print('listening', flush=True)\n"
        "time.sleep(300)\n"  # bounded even if the test never ends it
    )
    process = subprocess.Popen(
        ["nsenter", f"--net={netns}", sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "listening"
        yield process.pid
    finally:
        process.kill()  # by its pid, the one process this test started
        process.wait(10)


@contextmanager
def load(topology: Topology) -> Iterator[TrafficGenerator]:
    """Steady bounded load on the VIP, fresh connections, retrying refused connects."""
    spec = TrafficSpec(
        url=vip_url(topology, topology.vips[VIP]),
        rate=RATE,
        duration_s=LOAD_BOUND_S,
        mode="fresh",
        connections=4,
        timeout_s=5.0,
        connect_retries=4,
    )
    generator = TrafficGenerator(spec)
    generator.start()
    try:
        deadline = time.monotonic() + 30.0
        while generator.tally().ok < 20:
            assert time.monotonic() < deadline, "the load got no answers"
            time.sleep(0.1)
        yield generator
    finally:
        generator.stop()


def _edited(topology: Topology, folder: Path, name: str, **vip: Any) -> Topology:
    assert topology.source is not None
    data = yaml.safe_load(topology.source.read_text(encoding="utf-8"))
    data["vips"][VIP].update(vip)
    data["id"] = topology.id  # another file of the same topology
    return load_topology(_write(folder / name, data), check_files=True)


def _summary(tally: TrafficTally) -> str:
    return f"{tally.ok} ok, {tally.failed} failed {dict(tally.errors)}"


def test_a_replacement_that_cannot_start_leaves_the_old_lb_serving(
    lab: LabStatus, tmp_path: Path
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    hosts = DockerHosts(topology)
    try:
        apply(hosts, topology)
        wait_servers_up(topology, VIP)
        old = hosts.find_container("docker1", "haproxy")
        assert old is not None
        moved = _edited(topology, tmp_path, "moved.yaml", publish=8081)
        with port_taken(lab, "docker1", 8081), load(topology) as generator:
            with pytest.raises(ActionFailed) as raised:
                apply(hosts, moved)
            time.sleep(1.0)  # requests after the failure count too
            tally = generator.stop()
        assert str(raised.value).splitlines()[0] == (
            "VIP presentation: the new LB could not start (port 8081 on docker1 is taken by "
            "another process); the old LB was not touched and serves"
        )
        now = hosts.find_container("docker1", "haproxy")
        assert now is not None and (now.id, now.running) == (old.id, True)
        assert hosts.find_container("docker1", next_name(topology.vips[VIP])) is None
        assert tally.failed == 0 and tally.ok > 0, _summary(tally)
        print(f"\nreplacement refused under load: {_summary(tally)}")

        # The same port, handed over: measured, and no request lost with connect retries.
        events: list[ProgressEvent] = []
        handed = _edited(topology, tmp_path, "handed.yaml", frontend_port=8080)
        with load(topology) as generator:
            apply(hosts, handed, events.append)
            time.sleep(1.0)
            tally = generator.stop()
        (done,) = [e for e in events if e.step == "lb" and e.phase is Phase.DONE]
        assert "port 80 went from the old LB to the new one in" in done.detail, done.detail
        new = hosts.find_container("docker1", "haproxy")
        assert new is not None and new.id != old.id and new.running
        print(f"hand-over under load: {done.detail}; {_summary(tally)}")
        assert tally.failed == 0, _summary(tally)
        assert set(served_by(lab.host("docker1").address, 80, 4)) == {"web1", "web2"}
    finally:
        teardown(hosts, topology, leave_swarm=True)
        hosts.close()
    assert labelled_resources(lab, topology) == []
