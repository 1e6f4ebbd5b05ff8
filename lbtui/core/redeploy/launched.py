"""Backends a redeploy launches before the reload, and their removal when the old config stays.

Only containers the redeploy CREATED are removed: a backend it started or
replaced existed before, and the old configuration may name it.
"""

from __future__ import annotations

from functools import partial

from lbtui.core.actions.backends import run_container
from lbtui.core.actions.specs import backend_request
from lbtui.core.actions.steps import Change, Verdict, carry_out
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.errors import LbtuiError
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.redeploy.plan import RedeployPlan


def launch_backends(
    plan: RedeployPlan, gateway: ExecGateway, report: Reporter, launched: list[Change]
) -> None:
    """Launch the backends new to the pool; the ones created (not started or replaced) are
    added to `launched`, even when a later one fails."""
    for change in plan.backends_to_launch:
        wanted = backend_request(plan.topology, plan.topology.backends[change.target])
        work = partial(run_container, gateway, change, wanted, plan.topology, report)
        carry_out(change, report, work)
        if change.verdict is Verdict.CREATE:
            launched.append(change)


def remove_launched(
    gateway: ExecGateway, launched: list[Change], report: Reporter, error: LbtuiError
) -> None:
    """Remove the backends this redeploy created; say so in the error the caller re-raises."""
    removed = []
    for change in launched:
        report(ProgressEvent(Phase.STARTED, "remove", change.target, change.host, "launched"))
        try:
            gateway.remove_container(change.host, change.target)
        except LbtuiError as failed:
            report(ProgressEvent(Phase.FAILED, "remove", change.target, change.host, str(failed)))
            removed.append(f"{change.target} on {change.host} could NOT be removed: {failed}")
            continue
        report(ProgressEvent(Phase.DONE, "remove", change.target, change.host, "removed"))
        removed.append(f"removed {change.target} on {change.host}, which this redeploy launched")
    if removed:
        # The CLI and the dashboard print str(error): the cleanup belongs in that one message.
        error.args = ("\n".join([str(error), *removed]),)
