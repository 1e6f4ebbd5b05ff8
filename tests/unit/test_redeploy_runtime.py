"""The redeploy's in-container pieces against a real HAProxy on loopback (no Docker engine).

- the runtime API client one-liner, with only busybox `nc`, only `bash`, or nothing;
- the state-file filter for servers whose address changes (run by busybox grep);
- the health gate's probe: worker pid, reload detection, servers UP.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbtui.core.control.channel import CLIENT_FUNCTION, endpoints_from_config
from lbtui.core.haproxy.stats import StatsRow, VipStats
from lbtui.core.redeploy.gate import (
    VipProbe,
    failed_checks,
    server_problems,
    wait_healthy,
    wait_new_worker,
)
from lbtui.core.redeploy.live_config import stale_state_pattern
from lbtui.core.redeploy.plan import RedeployMode, RedeployPlan
from lbtui.core.topology.model import Host
from tests.unit._haproxy_helpers import LocalLb, local_lb, stop_process, wait_for

DASH = "/bin/dash"


@pytest.fixture
def lb(tmp_path: Path) -> Iterator[LocalLb]:
    if not Path(DASH).exists():
        pytest.skip("dash is not installed")
    with local_lb(tmp_path / "lb") as running:
        yield running


def _toolbox(directory: Path, tools: dict[str, str]) -> str:
    """A PATH holding only these tools (name -> real binary), to force one client path."""
    directory.mkdir()
    for name, target in tools.items():
        (directory / name).symlink_to(target)
    return str(directory)


def _client(lb: LocalLb, path: str, command: str) -> subprocess.CompletedProcess[str]:
    endpoints = endpoints_from_config(lb.config)
    # dash, as in the official Debian-based image: busybox sh would find its own applets
    # whatever PATH says, and no toolbox could take `nc` away from it.
    return subprocess.run(
        [
            DASH,
            "-c",
            CLIENT_FUNCTION + 'lbtui_runtime "$@"',
            "test",
            command,
            endpoints.unix_path or "",
            str(endpoints.tcp_port or ""),
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": path},
        check=False,
    )


def test_the_config_declares_both_runtime_endpoints(lb: LocalLb) -> None:
    endpoints = endpoints_from_config(lb.config)
    assert endpoints.unix_path == str(lb.socket_path)
    assert endpoints.tcp_port == lb.options.runtime_tcp_port


def test_busybox_nc_reaches_the_runtime_api_over_loopback(lb: LocalLb, tmp_path: Path) -> None:
    busybox = shutil.which("busybox")
    assert busybox is not None
    path = _toolbox(tmp_path / "bin", {n: busybox for n in ("nc", "timeout", "grep")})
    done = _client(lb, path, "show servers state pres_containers")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "1"
    assert " web1 " in done.stdout and " web2 " in done.stdout


def test_bash_reaches_it_where_there_is_no_nc(lb: LocalLb, tmp_path: Path) -> None:
    bash, busybox = shutil.which("bash"), shutil.which("busybox")
    assert bash is not None and busybox is not None
    path = _toolbox(tmp_path / "bin", {"bash": bash, "cat": busybox, "timeout": busybox})
    done = _client(lb, path, "set server pres_containers/web1 weight 7")
    assert done.returncode == 0, done.stderr
    check = _client(lb, path, "get weight pres_containers/web1")
    assert check.stdout.startswith("7 ")


def test_no_client_is_a_clear_error(lb: LocalLb, tmp_path: Path) -> None:
    done = _client(lb, _toolbox(tmp_path / "bin", {}), "show info")
    assert done.returncode == 127
    assert "no client for the HAProxy runtime API" in done.stderr


def _plan(lb: LocalLb, new_config: str) -> RedeployPlan:
    return RedeployPlan(
        topology=lb.topology,
        vip=lb.vip,
        new_config=new_config,
        new_hash="x",
        running_config=lb.config,
        mode=RedeployMode.RELOAD,
        reason="test",
        lb_change=None,  # type: ignore[arg-type]
    )


def test_state_lines_of_moved_servers_are_dropped(lb: LocalLb, tmp_path: Path) -> None:
    moved = re.sub(r"(server web2 web2:)\d+", r"\g<1>8081", lb.config)
    pattern = stale_state_pattern(_plan(lb, moved))
    assert pattern and stale_state_pattern(_plan(lb, lb.config)) == ""
    state = subprocess.run(
        [
            "busybox",
            "sh",
            "-c",
            f"echo 'show servers state' | busybox nc 127.0.0.1 {lb.options.runtime_tcp_port}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    (tmp_path / "state").write_text(state)
    kept = subprocess.run(
        ["busybox", "grep", "-v", "-E", pattern, str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    assert " web1 " in kept and " web2 " not in kept
    assert kept.splitlines()[0] == "1"


def _probe(lb: LocalLb) -> VipProbe:
    port = int(lb.frontend_url.rsplit(":", 1)[1].strip("/"))
    vip = dataclasses.replace(lb.vip, publish=port)
    topology = dataclasses.replace(
        lb.topology,
        hosts={"docker1": Host("docker1", "unix:///unused.sock", address="127.0.0.1")},
        vips={vip.name: vip},
    )
    return VipProbe(topology, vip, lb.credentials)


def test_a_reload_is_seen_as_a_new_worker(lb: LocalLb) -> None:
    probe = _probe(lb)
    try:
        old = probe.worker_pid()
        assert old is not None and old != lb.pid
        assert wait_new_worker(probe, old, 0.3) is None
        os.kill(lb.pid, signal.SIGUSR2)
        took = wait_new_worker(probe, old, 10.0)
        assert took is not None
        # The old worker may take a connection or two more while it lets go of the listeners.
        wait_for("only new workers answering", lambda: _only_new_workers(probe, old))
    finally:
        probe.close()


def test_the_gate_passes_when_every_server_is_up(lb: LocalLb) -> None:
    probe = _probe(lb)
    try:
        outcome = wait_healthy(probe, ["web1", "web2"], set(), 15.0)
        assert outcome.healthy, outcome.detail
    finally:
        probe.close()


def test_the_gate_fails_on_a_missing_server_and_says_which(lb: LocalLb) -> None:
    probe = _probe(lb)
    try:
        outcome = wait_healthy(probe, ["web1", "web2", "web9"], set(), 0.5)
        assert not outcome.healthy
        assert "web9 missing" in outcome.detail
        assert outcome.stats is not None
        assert server_problems(outcome.stats, ["web1"], set()) == []
    finally:
        probe.close()


def test_the_gate_gives_up_on_a_failed_check_without_waiting_for_down(lb: LocalLb) -> None:
    probe = _probe(lb)
    try:
        assert wait_healthy(probe, ["web1", "web2"], set(), 15.0).healthy
        stop_process(lb.backends["web2"])
        wait_for("web2's first failed check", lambda: _failed_once(probe, "web2"))
        # Far longer than web2 takes to go DOWN (fall 3); the gate must not wait for that.
        outcome = wait_healthy(probe, ["web1", "web2"], set(), 60.0)
        assert not outcome.healthy
        assert outcome.detail.startswith("web2's health check failed: L4CON"), outcome.detail
        assert outcome.stats is not None and outcome.stats.server("web1") is not None
    finally:
        probe.close()


def _failed_once(probe: VipProbe, server: str) -> bool | None:
    row = probe.stats().server(server)
    return True if row is not None and row.chkfail > 0 else None


def _only_new_workers(probe: VipProbe, old: int) -> bool | None:
    pids = [probe.worker_pid() for _ in range(5)]
    return True if all(pid not in (None, old) for pid in pids) else None


def _stats(*servers: StatsRow) -> VipStats:
    return VipStats(frontend=None, backend=None, servers=servers, fetched_at=0.0, monotonic=0.0)


def test_only_a_failed_last_check_counts_as_the_new_configs_failure() -> None:
    # The old worker can answer one probe after a reload: its chkfail counts its whole life.
    recovered = StatsRow("b", "web1", "server", status="UP", check_status="L7OK", chkfail=7)
    failing = StatsRow(
        "b", "web2", "server", status="UP 2/3", check_status="L7STS", check_code=404, chkfail=1
    )
    running = StatsRow("b", "web3", "server", status="UP", check_status="* L4CON", chkfail=1)
    unchecked = StatsRow("b", "web4", "server", status="UP", check_status="INI", chkfail=0)
    stats = _stats(recovered, failing, running, unchecked)

    assert failed_checks(stats, ["web1", "web4"]) == []
    assert failed_checks(stats, ["web1", "web2", "web3"]) == [
        "web2's health check failed: L7STS 404",
        "web3's health check failed: L4CON",
    ]
