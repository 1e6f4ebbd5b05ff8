"""Drain, disable, enable or re-weight one server of a VIP at run time (no reload).

Through HAProxy's runtime API inside the LB container (see `channel`). The
change lives in the running process only; `redeploy` saves it to the server-state
file before every reload, so it survives reloads until the topology itself changes
that server's weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lbtui.core.control.channel import runtime_command
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.haproxy.runtime import (
    AdminState,
    RuntimeCommandFailed,
    check_set_reply,
    set_server_state,
    set_server_weight,
)
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.limits import WEIGHT_MAX, WEIGHT_MIN, server_name
from lbtui.core.topology.model import Vip
from lbtui.core.topology.select import select_server


class ServerAction(StrEnum):
    """What can be done to a server at run time."""

    DRAIN = "drain"
    """No new connections except persistent ones; health checks go on."""
    DISABLE = "disable"
    """Maintenance: no traffic at all, checks stopped."""
    ENABLE = "enable"
    """Back to ready: takes traffic again once its checks pass."""
    WEIGHT = "weight"


_STATE: dict[ServerAction, AdminState] = {
    ServerAction.DRAIN: "drain",
    ServerAction.DISABLE: "maint",
    ServerAction.ENABLE: "ready",
}


@dataclass(frozen=True)
class ServerChange:
    """A runtime change that HAProxy accepted."""

    vip: str
    server: str
    action: ServerAction
    command: str
    weight: int | None = None

    def describe(self) -> str:
        """One line for a terminal or the events pane."""
        what = f"weight {self.weight}" if self.action is ServerAction.WEIGHT else self.action.value
        return f"{self.vip}/{self.server}: {what}"


def server_command(vip: Vip, server: str, action: ServerAction, weight: int | None = None) -> str:
    """The runtime API command line for `action` on `server` (an HAProxy server name) of `vip`."""
    name = server_name(select_server(vip, server))
    if action is ServerAction.WEIGHT:
        if weight is None:
            raise BadInput(f"the `weight` action needs a weight from {WEIGHT_MIN} to {WEIGHT_MAX}")
        return set_server_weight(vip.haproxy_backend, name, weight)
    if weight is not None:
        raise BadInput(f"a weight goes only with the `weight` action, not `{action.value}`")
    return set_server_state(vip.haproxy_backend, name, _STATE[action])


def control_server(
    gateway: ExecGateway,
    vip: Vip,
    server: str,
    action: ServerAction,
    weight: int | None = None,
    report: Reporter = ignore_progress,
) -> ServerChange:
    """Apply `action` to one server through the runtime API; ActionFailed with HAProxy's words."""
    command = server_command(vip, server, action, weight)
    change = ServerChange(vip.name, server, action, command, weight)
    report(ProgressEvent(Phase.STARTED, "server", f"{vip.name}/{server}", vip.host, command))
    try:
        check_set_reply(command, runtime_command(gateway, vip, command))
    except (ActionFailed, RuntimeCommandFailed) as error:
        report(ProgressEvent(Phase.FAILED, "server", f"{vip.name}/{server}", vip.host, str(error)))
        raise
    report(ProgressEvent(Phase.DONE, "server", f"{vip.name}/{server}", vip.host, change.describe()))
    return change
