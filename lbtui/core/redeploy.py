"""Redeploy one VIP without dropping a request: validate inside the running LB, reload, gate.

    plan = plan_redeploy(path, vip_name, gateway)      # changes nothing; show plan.diff
    result = execute_redeploy(plan, gateway, report)   # RedeployResult, or an lbtui error

Reload path (only the config changed), in order:
1. backends new to the pool are launched first (HAProxy must resolve them to load);
2. one `docker exec` in the running LB: write the new file next to the live one,
   `haproxy -c` it there (Docker's DNS resolves the servers there), and only if it
   is valid: save `show servers state` to the server-state file (drain, disable and
   weight survive), keep the live file as `.last-good`, move the new one into place
   and SIGUSR2 the master (PID 1, `-W`): the new worker takes over the listening
   sockets, the old one finishes its requests. A rejected file never replaces the
   live one, and the LB keeps serving;
3. health gate: a new worker answers, the frontend answers and every server is UP
   and checked within a bound; else the last good config is put back and reloaded.
Recreate path (image, ports or networks changed): `deploy_lb` (validated in a
throwaway container first), the bridge, then the same gate.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import partial

from lbtui.core.actions.backends import run_container
from lbtui.core.actions.bridge import BRIDGE
from lbtui.core.actions.lb import deploy_lb
from lbtui.core.actions.specs import backend_request
from lbtui.core.actions.steps import carry_out
from lbtui.core.container_exec import ExecGateway, exec_in
from lbtui.core.credentials import resolve_stats_credentials
from lbtui.core.errors import ActionFailed, ConfigRejected
from lbtui.core.haproxy_config import (
    CONFIG_PATH,
    DEFAULT_OPTIONS,
    CheckResult,
    parse_check_output,
)
from lbtui.core.haproxy_runtime import parse_servers_state
from lbtui.core.health_gate import GateOutcome, VipProbe, wait_healthy, wait_new_worker
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.redeploy_plan import RedeployMode, RedeployPlan
from lbtui.core.runtime_channel import CLIENT_FUNCTION, COMMAND_TIMEOUT_S, endpoints_from_config

#: Seconds a reload may take before the new worker answers.
SERVING_TIMEOUT_S = 10.0
#: Seconds the new config has to show every server UP and checked.
GATE_TIMEOUT_S = 15.0
#: Seconds newly launched backends get to become resolvable by the LB.
RESOLVE_TIMEOUT_S = 15.0
STAGED_SUFFIX = ".lbtui-new"
LAST_GOOD_SUFFIX = ".last-good"

# $1 new config, $2 live path, $3 state file, $4 unix socket, $5 tcp port, $6 timeout,
# $7 backend, $8 ERE of state lines to drop (servers whose address changes; may be empty).
_RELOAD_SCRIPT = (
    CLIENT_FUNCTION
    + r"""
new=$1; live=$2; staged="$2"""
    + STAGED_SUFFIX
    + r""""; state=$3; drop=$8
printf '%s' "$new" > "$staged" || { echo "@@stage-failed"; exit 10; }
out=$(haproxy -c -f "$staged" 2>&1); rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then rm -f "$staged"; echo "@@rejected $rc"; exit 11; fi
if lbtui_runtime "show servers state $7" "$4" "$5" "$6" > "$state.tmp" 2>/dev/null \
   && head -n 1 "$state.tmp" | grep -q '^1$'; then
  if [ -n "$drop" ]; then
    grep -v -E "$drop" "$state.tmp" > "$state.kept"; mv "$state.kept" "$state.tmp"
  fi
  mv "$state.tmp" "$state"; echo "@@state-saved"; sed 's/^/@@state /' "$state"
else
  rm -f "$state.tmp"; printf '1\n' > "$state"; echo "@@state-lost"
fi
if [ -f "$live" ]; then cp "$live" "$live"""
    + LAST_GOOD_SUFFIX
    + r""""; fi
mv "$staged" "$live" || { echo "@@install-failed"; exit 12; }
kill -USR2 1 || { echo "@@signal-failed"; exit 13; }
echo "@@reloaded"
"""
)

# $1 live path: put the last good file back and reload.
_ROLLBACK_SCRIPT = (
    r"""
live=$1
cp "$live"""
    + LAST_GOOD_SUFFIX
    + r"""" "$live" || exit 20
kill -USR2 1 || exit 21
"""
)

_UNRESOLVED = re.compile(r"could not resolve address|not resolve|unable to find", re.IGNORECASE)


class RedeployRolledBack(ActionFailed):
    """The new config was loaded but failed the health gate; the last good one serves again."""

    def __init__(self, vip: str, reason: str) -> None:
        self.vip = vip
        self.reason = reason
        super().__init__(
            f"VIP {vip}: the new config failed the health gate ({reason}); "
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
) -> RedeployResult:
    """Carry out a plan; ConfigRejected leaves the running LB untouched, ActionFailed says why."""
    started = time.monotonic()
    vip = plan.vip
    if not plan.changes_anything:
        report(ProgressEvent(Phase.SKIPPED, "redeploy", vip.name, vip.host, plan.reason))
        return RedeployResult(vip.name, plan.mode, changed=False)
    # Credentials and the VIP's address are checked before anything changes.
    probe = VipProbe(plan.topology, vip, resolve_stats_credentials(plan.topology, vip))
    try:
        if plan.backends_to_launch:
            # Several hosts change: all must answer first. With the LB's host alone, its first
            # call fails cleanly before any change, and a ping would only delay the reload.
            gateway.require_reachable({vip.host} | {c.host for c in plan.backends_to_launch})
        _launch_backends(plan, gateway, report)
        if plan.mode is RedeployMode.RELOAD:
            result = _reload(plan, gateway, probe, report, started, gate_timeout_s)
        elif plan.mode in (RedeployMode.RECREATE, RedeployMode.CREATE):
            result = _recreate(plan, gateway, probe, report, started, gate_timeout_s)
        else:
            result = RedeployResult(vip.name, plan.mode, changed=True)
    finally:
        probe.close()
    for removal in plan.containers_to_remove:
        report(ProgressEvent(Phase.STARTED, "remove", removal.name, removal.host, "left the pool"))
        gateway.remove_container(removal.host, removal.name)
        report(ProgressEvent(Phase.DONE, "remove", removal.name, removal.host, "removed"))
    return result


def _launch_backends(plan: RedeployPlan, gateway: ExecGateway, report: Reporter) -> None:
    for change in plan.backends_to_launch:
        wanted = backend_request(plan.topology, plan.topology.backends[change.target])
        carry_out(change, report, partial(run_container, gateway, change, wanted))


def _reload(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    report: Reporter,
    started: float,
    gate_timeout_s: float,
) -> RedeployResult:
    vip = plan.vip
    old_pid = probe.worker_pid()
    report(ProgressEvent(Phase.STARTED, "reload", vip.container, vip.host, "haproxy -c in the LB"))
    check, state = _check_and_reload(plan, gateway, report)
    saved = state is not None
    maintenance = servers_in_maintenance(state or "", vip.haproxy_backend)
    serving = wait_new_worker(probe, old_pid, SERVING_TIMEOUT_S)
    if serving is None:
        # The master refused to load the file ("Loading failure!"): the old worker still
        # serves; put the last good file back so the container's file matches it.
        _rollback(plan, gateway, probe, report, reload_needed=False)
        raise ActionFailed(
            f"VIP {vip.name}: no new HAProxy worker answered within {SERVING_TIMEOUT_S:g} s "
            "after the reload; the last good config was put back and still serves"
        )
    serving_s = time.monotonic() - started
    detail = f"serving in {serving_s:.3f} s"
    report(ProgressEvent(Phase.DONE, "reload", vip.container, vip.host, detail))
    outcome = _gate(plan, probe, report, maintenance, gate_timeout_s)
    if not outcome.healthy:
        _rollback(plan, gateway, probe, report, reload_needed=True)
        raise RedeployRolledBack(vip.name, outcome.detail)
    messages = () if saved else ("runtime server state could not be saved: it was reset",)
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


def _check_and_reload(
    plan: RedeployPlan, gateway: ExecGateway, report: Reporter
) -> tuple[CheckResult, str | None]:
    """Run the in-container script (retrying while new servers do not resolve yet).

    Returns HAProxy's verdict and the saved server state (None when it could not be saved).
    """
    vip = plan.vip
    endpoints = endpoints_from_config(plan.new_config)
    deadline = time.monotonic() + RESOLVE_TIMEOUT_S
    while True:
        result = exec_in(
            gateway,
            vip.host,
            vip.container,
            [
                "sh",
                "-c",
                _RELOAD_SCRIPT,
                "lbtui-reload",
                plan.new_config,
                CONFIG_PATH,
                _state_file(plan.new_config),
                endpoints.unix_path or "",
                str(endpoints.tcp_port or ""),
                str(COMMAND_TIMEOUT_S),
                vip.haproxy_backend,
                stale_state_pattern(plan),
            ],
            # The live file belongs to root in the official image, whose user is haproxy.
            user="0",
            exit_code=False,
        )
        lines = result.stdout.splitlines()
        markers = {line for line in lines if line.startswith("@@")}
        state = "\n".join(line[len("@@state ") :] for line in lines if line.startswith("@@state "))
        output = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("@@"))
        rejected = any(m.startswith("@@rejected") for m in markers)
        check = parse_check_output(output, 1 if rejected else 0)
        if rejected:
            retry = plan.backends_to_launch and all(_UNRESOLVED.search(e) for e in check.errors)
            if retry and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            report(ProgressEvent(Phase.FAILED, "reload", vip.container, vip.host, "rejected"))
            raise ConfigRejected(
                vip.name, check.summary() + "\nthe running LB was not touched and keeps serving"
            )
        if "@@reloaded" not in markers:
            report(ProgressEvent(Phase.FAILED, "reload", vip.container, vip.host, "failed"))
            raise ActionFailed(
                f"VIP {vip.name}: reloading {vip.container} on {vip.host} failed: "
                f"{result.output or 'no output'}"
            )
        return check, state if "@@state-saved" in markers else None


def servers_in_maintenance(state: str, backend: str) -> set[str]:
    """Servers a saved `show servers state` puts in maintenance on purpose (MAINT expected)."""
    if not state.strip():
        return set()
    return {
        s.server
        for s in parse_servers_state(state)
        if s.backend == backend and s.admin_state == "maint" and not s.resolution_failed
    }


_SERVER_ADDRESS = re.compile(r"^\s*server\s+(\S+)\s+(\S+)", re.MULTILINE)


def stale_state_pattern(plan: RedeployPlan) -> str:
    """An ERE matching the saved-state lines of servers whose address or port changes.

    HAProxy 2.6 would restore their OLD address from the file and ignore the new config.
    """
    old = dict(_SERVER_ADDRESS.findall(plan.running_config or ""))
    new = dict(_SERVER_ADDRESS.findall(plan.new_config))
    stale = sorted(name for name, address in old.items() if new.get(name) != address)
    if not stale:
        return ""
    names = "|".join(_ere_literal(name) for name in stale)
    return f"^[0-9]+ {_ere_literal(plan.vip.haproxy_backend)} [0-9]+ ({names}) "


def _ere_literal(name: str) -> str:
    # Names hold only [A-Za-z0-9_.:-] (validated); '.' is the one ERE metacharacter among them.
    return name.replace(".", "[.]")


def _gate(
    plan: RedeployPlan,
    probe: VipProbe,
    report: Reporter,
    maintenance_ok: set[str],
    timeout_s: float,
) -> GateOutcome:
    vip = plan.vip
    report(ProgressEvent(Phase.STARTED, "health gate", vip.name, vip.host, "servers UP"))
    expected = [m.backend for m in vip.servers]
    settle_s = vip.health_check.interval_ms / 1000 + 0.5 if checks_changed(plan) else 0.0
    outcome = wait_healthy(probe, expected, maintenance_ok, timeout_s, settle_s)
    phase = Phase.DONE if outcome.healthy else Phase.FAILED
    report(ProgressEvent(phase, "health gate", vip.name, vip.host, outcome.detail))
    return outcome


_WEIGHT = re.compile(r"\s+weight\s+\d+")
_HTTPCHK = re.compile(r"^\s*option\s+httpchk.*$", re.MULTILINE)


def checks_changed(plan: RedeployPlan) -> bool:
    """True when a server is new or its health check differs (weights aside)."""
    if plan.servers_added:
        return True
    old, new = plan.running_config or "", plan.new_config
    if _HTTPCHK.findall(old) != _HTTPCHK.findall(new):
        return True

    def server_lines(text: str) -> set[str]:
        return {
            _WEIGHT.sub("", line.strip())
            for line in text.splitlines()
            if line.strip().startswith("server ")
        }

    return not server_lines(new) <= server_lines(old)


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
    if reload_needed:
        result = exec_in(
            gateway,
            vip.host,
            vip.container,
            ["sh", "-c", _ROLLBACK_SCRIPT, "lbtui", CONFIG_PATH],
            user="0",
        )
    else:
        result = exec_in(
            gateway,
            vip.host,
            vip.container,
            ["cp", CONFIG_PATH + LAST_GOOD_SUFFIX, CONFIG_PATH],
            user="0",
        )
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
    outcome = _gate(plan, probe, report, set(), gate_timeout_s)
    if not outcome.healthy:
        raise ActionFailed(
            f"VIP {vip.name}: the recreated LB failed the health gate ({outcome.detail}); "
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


def _state_file(config: str) -> str:
    match = re.search(r"^\s*server-state-file\s+(\S+)", config, re.MULTILINE)
    return match.group(1) if match else DEFAULT_OPTIONS.server_state_file
