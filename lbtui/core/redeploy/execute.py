"""Redeploy one VIP without dropping a request: validate inside the running LB, reload, gate.

    plan = plan_redeploy(path, vip_name, gateway)      # changes nothing; show plan.diff
    result = execute_redeploy(plan, gateway, report)   # RedeployResult, or an lbtui error

Reload path (only the config changed), in order:
1. backends new to the pool are launched first (HAProxy must resolve them to load);
2. one `docker exec` in the running LB (live_config.py): stage the new file, `haproxy -c`
   it there, and only if it is valid save the runtime server state, keep the live file
   as `.last-good`, install the new one and SIGUSR2 the master: the new worker takes
   over the listening sockets, the old one finishes its requests. A rejected file
   never replaces the live one, and the LB keeps serving;
3. health gate: a new worker answers, the frontend answers and every server is UP
   and checked within a bound, as reported by that new worker itself (answers from
   the old one are ignored); else the last good config is put back and reloaded.
Recreate path (image, ports or networks changed): `deploy_lb` (validated in a
throwaway container first), the bridge, then the same gate.

Always known at the end:
- one redeploy per VIP at a time (`lock.py`): a second one waits, then refuses
  naming the holder;
- when the old config serves again (rejected, rolled back, reload not taken),
  the backends this redeploy created are removed;
- a connection lost during the reload is recovered (`recover.py`): reconnect, find
  out what the LB runs, gate, roll back if needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from lbtui.core.actions.bridge import BRIDGE
from lbtui.core.actions.lb import deploy_lb
from lbtui.core.actions.steps import Change, carry_out
from lbtui.core.control.channel import endpoints_of, runtime_command
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.errors import ActionFailed, ConfigRejected, HostUnreachable, LbtuiError
from lbtui.core.haproxy.check import CheckResult
from lbtui.core.haproxy.config import CONFIG_PATH
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.redeploy.gate import GateOutcome, VipProbe, wait_healthy, wait_new_worker
from lbtui.core.redeploy.launched import launch_backends, remove_launched
from lbtui.core.redeploy.live_config import (
    Staging,
    check_and_reload,
    restore_last_good,
    servers_in_maintenance,
    stage_config,
)
from lbtui.core.redeploy.lock import DEFAULT_WAIT_S, LockHolder, VipLock
from lbtui.core.redeploy.plan import RedeployMode, RedeployPlan
from lbtui.core.redeploy.recover import (
    RECONNECT_TIMEOUT_S,
    OldConfigServes,
    reconnect,
    settle_after_lost,
)
from lbtui.core.rollout.run import rollout_service
from lbtui.core.topology.pools import pool_servers, template_slots

#: Seconds a reload may take before the new worker answers.
SERVING_TIMEOUT_S = 10.0
#: Seconds the new config has to show every server UP and checked.
GATE_TIMEOUT_S = 15.0


def _nothing() -> None:
    return None


class RedeployRolledBack(ActionFailed):
    """The new config was loaded but failed the health gate; the last good one serves again."""

    def __init__(self, vip: str, reason: str) -> None:
        self.vip = vip
        self.reason = reason
        super().__init__(
            f"VIP {vip}: the new config failed the health gate: {reason}\n"
            "rolled back to the last good config, which serves again"
        )


@dataclass(frozen=True)
class RedeployResult:
    """What a redeploy did and how long the new config took to serve."""

    vip: str
    mode: RedeployMode
    changed: bool
    serving_s: float | None = None
    """Seconds from the call until the new config served (None: nothing reloaded)."""
    healthy_s: float | None = None
    """Seconds from the call until the health gate passed."""
    state_saved: bool | None = None
    """Whether runtime server state was carried over (None: no reload happened)."""
    check: CheckResult | None = None
    messages: tuple[str, ...] = ()

    def describe(self) -> str:
        """One paragraph for a terminal."""
        if not self.changed:
            return f"VIP {self.vip}: nothing to do"
        parts = [f"VIP {self.vip}: {self.mode.value} done"]
        if self.serving_s is not None:
            parts.append(f"new config serving after {self.serving_s:.3f} s")
        if self.healthy_s is not None:
            parts.append(f"healthy after {self.healthy_s:.3f} s")
        return ", ".join(parts) + "".join(f"\n{m}" for m in self.messages)


def execute_redeploy(
    plan: RedeployPlan,
    gateway: ExecGateway,
    report: Reporter = ignore_progress,
    gate_timeout_s: float = GATE_TIMEOUT_S,
    lock_wait_s: float = DEFAULT_WAIT_S,
    after_signal: Callable[[], None] = _nothing,
) -> RedeployResult:
    """Carry out a plan; ConfigRejected leaves the running LB untouched, ActionFailed says why.

    `lock_wait_s`: how long to wait for another redeploy of this VIP before refusing.
    `after_signal`: called right after the reload exec returned; tests make the
    connection break there (the moment whose outcome lbtui cannot see from the exec).
    """
    started = time.monotonic()
    vip = plan.vip
    if not plan.changes_anything:
        report(ProgressEvent(Phase.SKIPPED, "redeploy", vip.name, vip.host, plan.reason))
        return RedeployResult(vip.name, plan.mode, changed=False)
    # Credentials and the VIP's address are checked before anything changes.
    credentials = resolve_stats_credentials(plan.topology, vip)
    endpoints = endpoints_of(plan.new_model)
    probe = VipProbe(
        plan.topology,
        vip,
        credentials,
        runtime=lambda command: runtime_command(gateway, vip, command, endpoints),
    )
    try:
        with VipLock(gateway, plan.topology, vip, lock_wait_s, report) as lock:
            if lock.waited_for is not None:
                _require_unchanged(plan, gateway, lock.waited_for)
            result = _execute_locked(
                plan, gateway, probe, report, started, gate_timeout_s, after_signal
            )
    finally:
        probe.close()
    return result


def _execute_locked(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    report: Reporter,
    started: float,
    gate_timeout_s: float,
    after_signal: Callable[[], None],
) -> RedeployResult:
    vip = plan.vip
    launched: list[Change] = []
    try:
        if plan.backends_to_launch:
            # Several hosts change: all must answer first. With the LB's host alone, its first
            # call fails cleanly before any change, and a ping would only delay the reload.
            gateway.require_reachable({vip.host} | {c.host for c in plan.backends_to_launch})
        launch_backends(plan, gateway, report, launched)
        for change in plan.services_to_roll:
            carry_out(change, report, partial(_roll, plan, gateway, change.target, report))
    except LbtuiError as error:
        remove_launched(gateway, launched, report, error)
        raise
    try:
        if plan.mode is RedeployMode.RELOAD:
            staging = Staging.new()
            result = _reload(
                plan, gateway, probe, report, started, gate_timeout_s, staging, after_signal
            )
        elif plan.mode in (RedeployMode.RECREATE, RedeployMode.CREATE):
            result = _recreate(plan, gateway, probe, report, started, gate_timeout_s)
        else:
            result = RedeployResult(vip.name, plan.mode, changed=True)
    except (ConfigRejected, RedeployRolledBack, OldConfigServes) as error:
        # The old config serves again: what this redeploy created for the new one must go.
        remove_launched(gateway, launched, report, error)
        raise
    for removal in plan.containers_to_remove:
        report(ProgressEvent(Phase.STARTED, "remove", removal.name, removal.host, "left the pool"))
        gateway.remove_container(removal.host, removal.name)
        report(ProgressEvent(Phase.DONE, "remove", removal.name, removal.host, "removed"))
    return result


def _roll(plan: RedeployPlan, gateway: ExecGateway, service: str, report: Reporter) -> str:
    rolled = rollout_service(gateway, plan.topology, service, report=report)
    return rolled.describe() if rolled is not None else "already as specified"


def _require_unchanged(plan: RedeployPlan, gateway: ExecGateway, holder: LockHolder) -> None:
    """After waiting for another redeploy: refuse if it changed what this plan was made against."""
    vip = plan.vip
    data = gateway.read_file(vip.host, vip.container, CONFIG_PATH)
    now = data.decode("utf-8", errors="replace") if data is not None else None
    if now != plan.running_config:
        raise ActionFailed(
            f"VIP {vip.name}: while this redeploy waited, the redeploy of {holder.owner} "
            f"(pid {holder.pid}) changed the LB's configuration; nothing was changed by this "
            "one. Plan again to see the difference from what runs now"
        )


def _reload(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    report: Reporter,
    started: float,
    gate_timeout_s: float,
    staging: Staging,
    after_signal: Callable[[], None],
) -> RedeployResult:
    vip = plan.vip
    old_pid = probe.worker_pid()
    # The stats page may have named a worker lingering from an earlier reload: the
    # runtime API names the one that is running now, which this reload retires too. Its
    # exec runs while the new file is copied in (~60 ms each), and answers before the reload.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lbtui-running-worker") as pool:
        running = pool.submit(probe.running_worker_pid)
        stage_config(plan, gateway, staging)
        retired = {pid for pid in (old_pid, running.result()) if pid is not None}
    report(ProgressEvent(Phase.STARTED, "reload", vip.container, vip.host, "haproxy -c in the LB"))
    check: CheckResult | None = None
    recovered: list[str] = []
    try:
        check, state = check_and_reload(plan, gateway, report, staging)
        after_signal()
    except HostUnreachable as lost:
        took = reconnect(gateway, vip, lost, report, RECONNECT_TIMEOUT_S)
        state = settle_after_lost(plan, gateway, probe, staging, old_pid, SERVING_TIMEOUT_S, report)
        recovered.append(
            f"the connection to {vip.host} broke during the reload; back after {took:.1f} s"
        )
    saved = state is not None
    maintenance = servers_in_maintenance(state or "", vip.haproxy_backend)
    serving = wait_new_worker(probe, old_pid, SERVING_TIMEOUT_S)
    if serving is None:
        # The master refused to load the file ("Loading failure!"): the old worker still
        # serves; put the last good file back so the container's file matches it.
        _rollback(plan, gateway, probe, report, reload_needed=False)
        raise OldConfigServes(
            f"VIP {vip.name}: no new HAProxy worker answered within {SERVING_TIMEOUT_S:g} s "
            "after the reload; the last good config was put back and still serves"
        )
    serving_s = time.monotonic() - started
    detail = f"serving in {serving_s:.3f} s"
    report(ProgressEvent(Phase.DONE, "reload", vip.container, vip.host, detail))
    probe.pin_worker(probe.last_pid, retired)
    outcome = _gate(plan, gateway, probe, report, maintenance, gate_timeout_s)
    if not outcome.healthy:
        _rollback(plan, gateway, probe, report, reload_needed=True)
        raise RedeployRolledBack(vip.name, outcome.detail)
    messages = tuple(recovered) + (
        () if saved else ("runtime server state could not be saved: it was reset",)
    )
    return RedeployResult(
        vip.name,
        plan.mode,
        changed=True,
        serving_s=serving_s,
        healthy_s=time.monotonic() - started,
        state_saved=saved,
        check=check,
        messages=messages,
    )


def _gate(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    report: Reporter,
    maintenance_ok: set[str],
    timeout_s: float,
) -> GateOutcome:
    vip = plan.vip
    report(ProgressEvent(Phase.STARTED, "health gate", vip.name, vip.host, "servers UP"))
    expected = pool_servers(plan.topology, vip)
    maintenance_ok = maintenance_ok | template_slots(plan.topology, vip)
    settle_s = vip.health_check.interval_ms / 1000 + 0.5 if checks_changed(plan) else 0.0
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            outcome = wait_healthy(
                probe, expected, maintenance_ok, max(deadline - time.monotonic(), 0.0), settle_s
            )
            break
        except HostUnreachable as lost:
            # The stats come through an exec: a broken connection interrupts the gate, it
            # does not decide it. Reconnect and judge again within what is left of the bound.
            reconnect(gateway, vip, lost, report, RECONNECT_TIMEOUT_S)
    ignored = sum(probe.ignored.values())
    if ignored:
        pids = ", ".join(str(pid) for pid in sorted(probe.ignored))
        outcome = replace(
            outcome, detail=f"{outcome.detail} ({ignored} answers of old worker {pids} ignored)"
        )
    phase = Phase.DONE if outcome.healthy else Phase.FAILED
    report(ProgressEvent(phase, "health gate", vip.name, vip.host, outcome.detail))
    return outcome


def checks_changed(plan: RedeployPlan) -> bool:
    """True when a server is new or its health check differs (weights aside)."""
    if plan.servers_added:
        return True
    old, new = plan.running_model, plan.new_model
    if old is None or old.backend.httpchk != new.backend.httpchk:
        return True
    before = {replace(server, weight=0) for server in old.backend.servers}
    return not {replace(server, weight=0) for server in new.backend.servers} <= before


def _rollback(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    report: Reporter,
    reload_needed: bool,
) -> None:
    vip = plan.vip
    report(ProgressEvent(Phase.STARTED, "rollback", vip.container, vip.host, "last good config"))
    old_pid = probe.worker_pid()
    try:
        result = restore_last_good(gateway, vip, reload_needed)
    except HostUnreachable as lost:
        # `cp` then `kill -USR2 1` again is harmless if the first attempt got through.
        reconnect(gateway, vip, lost, report, RECONNECT_TIMEOUT_S)
        result = restore_last_good(gateway, vip, reload_needed)
    if result.exit_code != 0:
        report(ProgressEvent(Phase.FAILED, "rollback", vip.container, vip.host, result.output))
        raise ActionFailed(
            f"VIP {vip.name}: rolling back to the last good config failed: {result.output}"
        )
    if reload_needed and wait_new_worker(probe, old_pid, SERVING_TIMEOUT_S) is None:
        report(ProgressEvent(Phase.FAILED, "rollback", vip.container, vip.host, "no new worker"))
        raise ActionFailed(f"VIP {vip.name}: the rollback reload did not take effect")
    report(ProgressEvent(Phase.DONE, "rollback", vip.container, vip.host, "last good config"))


def _recreate(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    report: Reporter,
    started: float,
    gate_timeout_s: float,
) -> RedeployResult:
    vip = plan.vip
    deploy_lb(gateway, plan.topology, vip, report)
    if vip.connect_bridge:
        found = gateway.find_container(vip.host, vip.container)
        if found is not None and not any(a.network == BRIDGE for a in found.attachments):
            report(ProgressEvent(Phase.STARTED, "bridge", vip.container, vip.host, "connect"))
            gateway.connect_network(vip.host, BRIDGE, vip.container)
            report(ProgressEvent(Phase.DONE, "bridge", vip.container, vip.host, "connected"))
    serving = wait_new_worker(probe, None, SERVING_TIMEOUT_S)
    serving_s = time.monotonic() - started if serving is not None else None
    probe.pin_worker(probe.last_pid if serving is not None else None)
    outcome = _gate(plan, gateway, probe, report, set(), gate_timeout_s)
    if not outcome.healthy:
        raise ActionFailed(
            f"VIP {vip.name}: the recreated LB failed the health gate: {outcome.detail}\n"
            "a recreated container cannot be rolled back: fix the topology and redeploy"
        )
    return RedeployResult(
        vip.name,
        plan.mode,
        changed=True,
        serving_s=serving_s,
        healthy_s=time.monotonic() - started,
        messages=(f"recreated: {plan.reason}",),
    )
