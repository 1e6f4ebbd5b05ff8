"""The health gate reads only the new worker, against a real HAProxy whose old worker lingers.

`grace 4s` in the running config keeps the old worker listening for 4 s after a
reload, on the published port and on the runtime socket alike: the same moment
that is a few milliseconds long in production, stretched so that it is certain.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from lbtui.core.haproxy.stats import StatsUnavailable
from lbtui.core.redeploy.gate import VipProbe, wait_healthy, wait_new_worker
from lbtui.core.redeploy.worker_stats import SHOW_INFO_AND_STAT, parse_worker_answer
from lbtui.core.topology.model import Host
from tests.unit._haproxy_helpers import LocalLb, free_port, local_lb, send_command, wait_for

GRACE = "    grace 4s\n"


@pytest.fixture
def lb(tmp_path: Path) -> Iterator[LocalLb]:
    with local_lb(tmp_path / "lb") as running:
        yield running


def _pinnable_probe(lb: LocalLb, runtime: Callable[[str], str] | None = None) -> VipProbe:
    """A probe of the local LB whose runtime API is its unix socket (or `runtime`)."""
    port = int(lb.frontend_url.rsplit(":", 1)[1].strip("/"))
    vip = dataclasses.replace(lb.vip, publish=port)
    topology = dataclasses.replace(
        lb.topology,
        hosts={"docker1": Host("docker1", "unix:///unused.sock", address="127.0.0.1")},
        vips={vip.name: vip},
    )
    runtime = runtime or partial(send_command, str(lb.socket_path))
    return VipProbe(topology, vip, lb.credentials, runtime=runtime)


def _reload(lb: LocalLb, config: str, probe: VipProbe, old: int | None) -> int:
    lb.config_path.write_text(config, encoding="utf-8")
    os.kill(lb.pid, signal.SIGUSR2)
    assert wait_new_worker(probe, old, 10.0) is not None, "no new worker after the reload"
    assert probe.last_pid is not None
    return probe.last_pid


def _only(probe: VipProbe, pid: int) -> bool | None:
    return True if all(probe.worker_pid() == pid for _ in range(5)) else None


def test_answers_of_the_old_worker_are_ignored_and_the_new_workers_failure_decides(
    lb: LocalLb,
) -> None:
    lingering = lb.config.replace("global\n", "global\n" + GRACE, 1)
    # web2's check goes to a port where nothing listens: only the NEW worker sees it fail.
    broken = re.sub(r"(server web2 web2:)\d+", rf"\g<1>{free_port()}", lingering)
    probe = _pinnable_probe(lb)
    try:
        first = _reload(lb, lingering, probe, probe.worker_pid())
        wait_for("only the worker with grace answering", partial(_only, probe, first))
        assert wait_healthy(probe, ["web1", "web2"], set(), 15.0).healthy
        new = _reload(lb, broken, probe, first)
        probe.pin_worker(new, retired={first})  # as execute_redeploy pins it
        outcome = wait_healthy(probe, ["web1", "web2"], set(), 15.0)
    finally:
        probe.close()
    assert not outcome.healthy
    assert outcome.detail.startswith("web2's health check failed: L4CON"), outcome.detail
    # The old worker (web2 UP, its last check passed) may answer while the gate runs, as
    # the kernel hands the runtime socket's connections to either worker: whatever it
    # said was not listened to. (That it is ignored when it does answer is shown without
    # the race in test_a_stopping_worker_is_ignored_and_the_running_one_is_the_new_one.)
    assert set(probe.ignored) <= {first}, probe.ignored


def test_one_connection_names_its_worker_and_a_wrong_one_is_refused(lb: LocalLb) -> None:
    answer = parse_worker_answer(send_command(str(lb.socket_path), SHOW_INFO_AND_STAT))
    assert {r.svname for r in answer.rows if r.type == "server"} == {"web1", "web2"}
    probe = _pinnable_probe(lb)
    try:
        assert probe.worker_pid() == answer.pid
        probe.pin_worker(answer.pid + 100000, retired={answer.pid})
        with pytest.raises(StatsUnavailable, match=rf"answered by old worker {answer.pid}, not"):
            probe.stats()
        assert probe.ignored == {answer.pid: 1}
    finally:
        probe.close()


def test_a_stopping_worker_is_ignored_and_the_running_one_is_the_new_one(lb: LocalLb) -> None:
    """The stats page may first name a worker lingering from an earlier reload (grace):
    the gate must then take the worker that is running, not the one it saw first."""
    running = send_command(str(lb.socket_path), SHOW_INFO_AND_STAT)
    assert "Stopping: 0" in running
    lingering = running.replace("Stopping: 0", "Stopping: 1")
    answers = iter([lingering, running])
    probe = _pinnable_probe(lb, runtime=lambda command: next(answers))  # in that order
    try:
        pid = parse_worker_answer(running).pid
        probe.pin_worker(pid)  # the first new pid seen, here answering as a stopping worker
        with pytest.raises(StatsUnavailable, match="answered by old worker"):
            probe.stats()
        assert {r.svname for r in probe.stats().servers} == {"web1", "web2"}
        assert probe.ignored == {pid: 1}
    finally:
        probe.close()


def test_an_answer_without_pid_or_csv_is_unavailable_not_trusted() -> None:
    with pytest.raises(StatsUnavailable, match="no Pid line"):
        parse_worker_answer("# pxname,svname\nfe,FRONTEND\n")
    with pytest.raises(StatsUnavailable, match="no CSV"):
        parse_worker_answer("Name: HAProxy\nPid: 7\n\nUnknown command\n")
