"""A redeploy always ends known, on the real lab: one at a time per VIP, rollback takes back
what it launched, a lost connection is recovered, and the gate listens to the new worker only.

Every test asserts the message AND that nothing was lost: the live config is one whole
config, containers are as they should be, and the load saw no failure where the old
config had to keep serving.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from lbtui.core.docker.archive import put_private_files
from lbtui.core.errors import ConfigRejected, HostUnreachable, LbtuiError
from lbtui.core.haproxy.config import CONFIG_PATH
from lbtui.core.progress import ProgressEvent
from lbtui.core.redeploy.execute import RedeployResult, RedeployRolledBack, execute_redeploy
from lbtui.core.redeploy.lock import RedeployLocked, lock_name, this_owner
from lbtui.core.redeploy.plan import RedeployMode, RedeployPlan, plan_redeploy
from lbtui.lab import WEB_IMAGE, LabStatus
from tests.integration.probes import sdk
from tests.integration.redeploy_support import (
    VIP,
    Deployed,
    deployed_reference,
    failure_report,
    load,
    more_answers,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ref(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with deployed_reference(lab, tmp_path_factory.mktemp("safety"), "safety") as deployed:
        yield deployed


def _live(ref: Deployed) -> str:
    data = ref.hosts.read_file("docker1", "haproxy", CONFIG_PATH)
    assert data is not None
    return data.decode()


def _weights(web1: int, web2: int) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["vips"][VIP]["servers"] = [
            {"backend": "web1", "weight": web1},
            {"backend": "web2", "weight": web2},
        ]

    return edit


def _plan(ref: Deployed, edit: Any) -> RedeployPlan:
    ref.write(edit)
    plan = plan_redeploy(ref.path, VIP, ref.hosts)
    assert plan.mode is RedeployMode.RELOAD
    return plan


def _race(ref: Deployed, plans: list[RedeployPlan], wait_s: float) -> list[object]:
    """Run the plans' redeploys in threads released at the same moment; result or error each."""
    outcomes: list[object] = [None] * len(plans)
    start = threading.Barrier(len(plans))

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = execute_redeploy(plans[index], ref.hosts, lock_wait_s=wait_s)
        except LbtuiError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _lock_gone(lab: LabStatus) -> bool:
    with sdk(lab, "docker1") as client:
        return not client.containers.list(all=True, filters={"name": "haproxy.redeploy-lock"})


def test_two_redeploys_at_once_one_completes_the_other_refuses_naming_the_holder(
    lab: LabStatus, ref: Deployed
) -> None:
    plans = [_plan(ref, _weights(3, 1)), _plan(ref, _weights(1, 3))]
    with load(ref.topology, "fresh") as fresh:
        outcomes = _race(ref, plans, wait_s=0.0)
        final = more_answers(fresh, fresh.tally(), 100)
        fresh.stop()
    done = [o for o in outcomes if isinstance(o, RedeployResult)]
    refused = [o for o in outcomes if isinstance(o, RedeployLocked)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    message = str(refused[0])
    assert f"held by {this_owner()}, pid {os.getpid()}, since " in message, message
    assert "nothing was changed" in message and lock_name(plans[0].vip) in message
    winner = plans[outcomes.index(done[0])]
    assert _live(ref) == winner.new_config, "the LB must run exactly one of the two configs"
    assert final.failed == 0, failure_report(final)
    assert _lock_gone(lab), "the lock must be released after the redeploy"


def test_a_second_redeploy_waits_then_refuses_a_plan_made_against_what_changed(
    lab: LabStatus, ref: Deployed
) -> None:
    plans = [_plan(ref, _weights(2, 1)), _plan(ref, _weights(1, 2))]
    outcomes = _race(ref, plans, wait_s=60.0)
    done = [o for o in outcomes if isinstance(o, RedeployResult)]
    stale = [o for o in outcomes if isinstance(o, LbtuiError)]
    assert len(done) == 1 and len(stale) == 1, outcomes
    assert "while this redeploy waited" in str(stale[0]) and "Plan again" in str(stale[0])
    assert _live(ref) == plans[outcomes.index(done[0])].new_config
    assert _lock_gone(lab)


def _add_web3(port: int, log_target: str | None = None) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["backends"]["web3"] = {
            "host": "docker2",
            "image": WEB_IMAGE,
            "network": "presentation_backend",
            "port": port,
        }
        data["vips"][VIP]["servers"] = ["web1", "web2", "web3"]
        if log_target is not None:
            data["vips"][VIP]["log"] = {"target": log_target}

    return edit


def _web3_exists(lab: LabStatus) -> bool:
    with sdk(lab, "docker2") as client:
        return bool(client.containers.list(all=True, filters={"name": "^/web3$"}))


def test_a_rejected_config_takes_back_the_backend_it_launched(
    lab: LabStatus, ref: Deployed
) -> None:
    live_before = _live(ref)
    plan = _plan(ref, _add_web3(80, log_target="syslog-host:51x4"))
    assert [c.target for c in plan.backends_to_launch] == ["web3"]
    with load(ref.topology, "fresh") as fresh:
        with pytest.raises(ConfigRejected, match="51x4") as caught:
            execute_redeploy(plan, ref.hosts)
        final = more_answers(fresh, fresh.tally(), 100)
        fresh.stop()
    assert "removed web3 on docker2, which this redeploy launched" in str(caught.value)
    assert not _web3_exists(lab)
    assert _live(ref) == live_before
    assert final.failed == 0, failure_report(final)


def test_a_rolled_back_config_takes_back_the_backend_it_launched(
    lab: LabStatus, ref: Deployed
) -> None:
    live_before = _live(ref)
    # web3 listens on 80; a check on 8081 finds nothing: the new config fails the gate.
    plan = _plan(ref, _add_web3(8081))
    events: list[ProgressEvent] = []
    with load(ref.topology, "fresh") as fresh:
        with pytest.raises(RedeployRolledBack, match="web3's health check failed") as caught:
            execute_redeploy(plan, ref.hosts, events.append)
        after_rollback = fresh.tally()
        final = more_answers(fresh, after_rollback, 100)
        fresh.stop()
    assert "removed web3 on docker2, which this redeploy launched" in str(caught.value)
    assert not _web3_exists(lab)
    assert _live(ref) == live_before
    assert ("remove", "web3") in {(e.step, e.target) for e in events}
    # While the new config ran, requests sent to web3 could fail; once rolled back, none.
    assert final.failed == after_rollback.failed, failure_report(final)


def test_a_connection_lost_after_the_signal_is_recovered_then_gated(
    lab: LabStatus, ref: Deployed
) -> None:
    """The exec's stream is made to break right after the reload (injected), while the
    engine really stops answering: its dockerd is frozen (SIGSTOP) for 3 s, containers
    and the VIP running on. lbtui must reconnect, find the reload done, and gate it."""
    dockerd = lab.host("docker1").pid
    assert dockerd is not None
    plan = _plan(ref, _weights(1, 4))
    thaw = threading.Timer(3.0, os.kill, (dockerd, signal.SIGCONT))

    def break_the_stream() -> None:
        os.kill(dockerd, signal.SIGSTOP)
        thaw.start()
        host = ref.topology.hosts["docker1"]
        raise HostUnreachable(host.name, host.url, "the exec stream broke (injected by the test)")

    events: list[ProgressEvent] = []
    try:
        with load(ref.topology, "fresh") as fresh:
            started = time.monotonic()
            result = execute_redeploy(plan, ref.hosts, events.append, after_signal=break_the_stream)
            took = time.monotonic() - started
            final = more_answers(fresh, fresh.tally(), 100)
            fresh.stop()
    finally:
        thaw.cancel()
        os.kill(dockerd, signal.SIGCONT)
    assert result.changed and result.healthy_s is not None
    assert any("broke during the reload; back after" in m for m in result.messages), result
    assert took >= 2.5, "the engine was frozen for 3 s: lbtui must have waited for it"
    steps = [(e.step, e.phase.value) for e in events]
    assert ("reconnect", "done") in steps and ("health gate", "done") in steps, steps
    assert _live(ref) == plan.new_config
    assert final.failed == 0, failure_report(final)


def test_the_gate_ignores_the_old_worker_still_answering_after_the_reload(
    lab: LabStatus, ref: Deployed
) -> None:
    """`grace 4s` (set by hand in the running LB) keeps the old worker listening for 4 s after
    the reload. The redeploy adds web3, whose first check takes up to one interval: the gate
    polls for seconds, the old worker answers some of those polls (it has no web3 at all),
    and the gate must take none of them and say how many it ignored."""
    base = _live(ref)
    lingering = base.replace("global\n", "global\n    grace 4s\n", 1)
    assert lingering != base
    put_private_files(ref.hosts, "docker1", "haproxy", {CONFIG_PATH: lingering.encode()})
    ref.hosts.signal_container("docker1", "haproxy", "SIGUSR2")
    time.sleep(5.0)  # the worker that had no grace is gone; the one with grace serves
    events: list[ProgressEvent] = []
    try:
        plan = _plan(ref, _add_web3(80))
        result = execute_redeploy(plan, ref.hosts, events.append)
        assert result.changed and _live(ref) == plan.new_config
    finally:
        ref.write()
        back = plan_redeploy(ref.path, VIP, ref.hosts)
        execute_redeploy(back, ref.hosts)
    gate = [e.detail for e in events if e.step == "health gate" and e.phase.value == "done"]
    assert len(gate) == 1 and "answers of old worker" in gate[0], gate
    assert _live(ref) == back.new_config and not _web3_exists(lab)
