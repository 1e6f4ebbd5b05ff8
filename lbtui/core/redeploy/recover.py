"""When the connection to the LB's host breaks after the new file was sent: find out, then act.

The reload is one `docker exec`; if its stream (or the engine) goes away while it
runs, lbtui cannot know from the exec whether the new file was installed or the
master signalled. So it reconnects (bounded), then asks the LB itself:
- the live file is still the old one: nothing changed; this redeploy's staged file
  is removed and the old config keeps serving;
- the live file is the new one and a new worker answers: the reload happened, and
  the caller runs the health gate (rolling back if it fails), as without the break;
- the live file is the new one but no new worker answers: the signal was never sent
  (or the master refused the file): the last good file is put back, no reload needed.
Whatever happens, the outcome is known and said.
"""

from __future__ import annotations

import time

from lbtui.core.docker.exec import ExecGateway
from lbtui.core.errors import ActionFailed, HostUnreachable
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.redeploy.gate import VipProbe, wait_new_worker
from lbtui.core.redeploy.live_config import Staging, remove_staged, restore_last_good
from lbtui.core.redeploy.plan import RedeployPlan
from lbtui.core.topology.model import Vip

#: Seconds to wait for the LB's host to answer again after a lost connection.
RECONNECT_TIMEOUT_S = 60.0


class OldConfigServes(ActionFailed):
    """The redeploy stopped and the LB serves the config it had before (known, checked)."""


def reconnect(
    gateway: ExecGateway, vip: Vip, lost: HostUnreachable, report: Reporter, timeout_s: float
) -> float:
    """Wait (bounded) until the LB's host answers again; seconds it took."""
    started = time.monotonic()
    detail = f"connection lost ({lost.reason}); reconnecting"
    report(ProgressEvent(Phase.STARTED, "reconnect", vip.container, vip.host, detail))
    while True:
        try:
            gateway.require_reachable({vip.host})
        except HostUnreachable as error:
            if time.monotonic() - started >= timeout_s:
                report(ProgressEvent(Phase.FAILED, "reconnect", vip.container, vip.host, "gone"))
                raise ActionFailed(
                    f"VIP {vip.name}: the connection to {vip.host} broke during the reload and "
                    f"the host did not answer again within {timeout_s:g} s ({error.reason}). "
                    f"The LB's state is unknown: the new config may be live without the health "
                    f"gate. When {vip.host} answers, check the VIP; redeploying the previous "
                    "topology puts the old config back"
                ) from error
            time.sleep(1.0)
            continue
        took = time.monotonic() - started
        report(
            ProgressEvent(Phase.DONE, "reconnect", vip.container, vip.host, f"after {took:.1f} s")
        )
        return took


def settle_after_lost(
    plan: RedeployPlan,
    gateway: ExecGateway,
    probe: VipProbe,
    staging: Staging,
    old_pid: int | None,
    serving_timeout_s: float,
    report: Reporter,
) -> str | None:
    """After `reconnect`: raise OldConfigServes, or return the saved server state (the reload
    happened and the caller must gate it)."""
    vip = plan.vip
    # The exec may still run in the LB without us: removing the staged file first makes sure
    # it can no longer install it after we looked (its `mv` then fails).
    remove_staged(gateway, vip, staging)
    live = gateway.read_file(vip.host, vip.container, CONFIG_PATH)
    if live != plan.new_config.encode():
        report(ProgressEvent(Phase.FAILED, "reload", vip.container, vip.host, "not installed"))
        raise OldConfigServes(
            f"VIP {vip.name}: the connection to {vip.host} broke before the new config was "
            "installed; nothing changed and the old config serves"
        )
    if wait_new_worker(probe, old_pid, serving_timeout_s) is None:
        result = restore_last_good(gateway, vip, reload=False)
        if result.exit_code != 0:
            raise ActionFailed(
                f"VIP {vip.name}: the connection broke during the reload, no new worker "
                f"answered, and putting the last good file back failed: {result.output}"
            )
        report(ProgressEvent(Phase.FAILED, "reload", vip.container, vip.host, "not signalled"))
        raise OldConfigServes(
            f"VIP {vip.name}: the connection to {vip.host} broke during the reload and no new "
            f"worker answered within {serving_timeout_s:g} s; the last good file was put back "
            "and the old config serves"
        )
    report(ProgressEvent(Phase.DONE, "reload", vip.container, vip.host, "reloaded (recovered)"))
    state_file = plan.new_model.global_settings.server_state_file
    data = gateway.read_file(
        vip.host, vip.container, state_file or DEFAULT_OPTIONS.server_state_file
    )
    return data.decode("utf-8", errors="replace") if data is not None else None
