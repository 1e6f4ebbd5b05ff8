"""Bad situations end in a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import LabError
from lbtui.core.topology.model import Host, Topology
from lbtui.lab import LabSpec, LabStatus, lab_status, lab_up
from lbtui.lab.daemons import start
from lbtui.lab.plan import host_plan, plan_lab
from lbtui.lab.processes import wait_gone
from lbtui.tui.present.rows import host_rows

pytestmark = pytest.mark.integration


def test_a_daemon_that_dies_at_start_shows_the_end_of_its_log(tmp_path: Path) -> None:
    # A namespace that does not exist: nsenter fails before dockerd runs, as a broken host would.
    host = host_plan(LabSpec(name="lbnone"), 1, tmp_path / "run", tmp_path / "state")
    with pytest.raises(LabError) as error:
        start(host, None)
    message = str(error.value)
    assert "dockerd of docker1 exited" in message
    assert str(host.log_file) in message
    assert "/run/netns/lbtui-lbnone-docker1" in message  # nsenter's own complaint, from the log
    assert not Path("/run/lbtui/lbnone").exists()


def test_not_root_is_refused_with_a_message() -> None:
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "lbtui",
            "lab",
            "up",
            "--name",
            "lbnoroot",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 1
    assert "needs root" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_stopped_or_killed_daemon_is_explained_in_words(
    lab: LabStatus, lab_spec: LabSpec
) -> None:
    # The pids as the lab records them now: an earlier test may have restarted a daemon.
    now = lab_status(lab_spec)
    stopped, killed = now.host("docker2"), now.host("docker3")
    assert stopped.pid is not None and killed.pid is not None
    hosts_of = {h.name: Host(h.name, h.socket_url) for h in (stopped, killed)}
    topology = Topology("gone", hosts_of, {}, {}, {})
    try:
        with DockerHosts(topology) as hosts:
            # Clients open while the daemons run, as the dashboard's are when one goes away.
            assert all(hosts.snapshot_host(name).reachable for name in hosts_of)
            os.kill(stopped.pid, signal.SIGTERM)  # stopped: dockerd removes its socket
            os.kill(killed.pid, signal.SIGKILL)  # killed: the socket file is left behind
            assert wait_gone([stopped.pid, killed.pid], 60.0) == set()
            snapshots = {name: hosts.snapshot_host(name) for name in hosts_of}
    finally:
        lab_up(lab_spec)  # brings both daemons back for the tests that follow
    stopped_path = stopped.socket_url.removeprefix("unix://")
    killed_path = killed.socket_url.removeprefix("unix://")
    missing = f"no Docker socket at {stopped_path} (socket missing: is the daemon running?)"
    assert snapshots["docker2"].error == missing
    assert (snapshots["docker3"].error or "").startswith(
        f"nothing listens on {killed_path} (connection refused"
    )
    rows = host_rows(topology, snapshots, {}, time.time())
    assert rows["docker2"][2] == f"NO: {missing}"


LAB_UP = [sys.executable, "-m", "lbtui", "lab", "up"]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
        check=False,
    )


def _lab_traces(name: str) -> list[str]:
    """Whatever a lab `name` would leave on the machine: folders, lock, bridge, namespaces."""
    plan = plan_lab(LabSpec(name=name))
    paths = [plan.run_dir, plan.state_dir, plan.lock_file, Path(f"/sys/class/net/{plan.bridge}")]
    paths += [host.netns_path for host in plan.hosts]
    return [str(path) for path in paths if path.exists()]


def test_a_public_subnet_is_refused_before_anything_is_created() -> None:
    assert _lab_traces("lbpub") == []

    result = _run([*LAB_UP, "--name", "lbpub", "--subnet", "8.8.8.0/24"])

    assert result.returncode == 2, result.stderr
    assert "subnet 8.8.8.0/24 is not usable for a lab" in result.stderr
    assert "198.18.0.0/15" in result.stderr
    assert "Traceback" not in result.stderr
    assert _lab_traces("lbpub") == []


def test_a_route_with_no_address_behind_it_is_refused(tmp_path: Path) -> None:
    """A route alone (no interface address in the range) must stop the lab.

    The route lives in a throwaway network namespace of the child process
    (`unshare --net`), so the machine's own routes are never touched.
    """
    script = (
        "ip link add lbrt0 type veth peer name lbrt1 && ip link set lbrt0 up && "
        "ip link set lbrt1 up && ip route add 10.77.0.0/16 dev lbrt0 && "
        'exec "$@"'
    )
    lab_up = [*LAB_UP, "--name", "lbrt", "--hosts", "1", "--subnet", "10.77.1.0/24"]

    result = _run(["unshare", "--net", "sh", "-c", script, "sh", *lab_up])

    assert result.returncode == 1, result.stderr
    assert "address range 10.77.1.0/24 of lab lbrt overlaps the route 10.77.0.0/16 dev lbrt0" in (
        result.stderr
    )
    assert "already in use" not in result.stderr  # the route alone was enough
    assert "Traceback" not in result.stderr
    assert _lab_traces("lbrt") == []


def test_a_running_labs_range_is_refused_naming_its_route(lab: LabStatus) -> None:
    inside = next(lab.spec.network.subnets(new_prefix=lab.spec.network.prefixlen + 1))
    assert _lab_traces("lbroute") == []

    result = _run([*LAB_UP, "--name", "lbroute", "--hosts", "1", "--subnet", str(inside)])

    assert result.returncode == 1, result.stderr
    assert "overlaps the route" in result.stderr
    assert f"{lab.spec.subnet} dev lbtui-{lab.spec.name}" in result.stderr
    assert "Traceback" not in result.stderr
    assert _lab_traces("lbroute") == []
