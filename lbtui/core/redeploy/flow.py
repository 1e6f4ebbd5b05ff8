"""One redeploy, the same for the CLI and the dashboard: plan, show, confirm, execute, gate.

    outcome = redeploy_flow(path, vip, gateway, show=print_diff, confirm=ask_y_n, report=log)

The caller supplies how the plan is shown (a coloured diff on a terminal, a panel in
the dashboard) and how it is confirmed (a y/N question, `--yes`, the dashboard's
one-key redeploy that confirms by pressing the key, or `decline` for a preview).
The plan is always shown before the question, and nothing changes unless `confirm`
said yes; the health gate and its rollback are part of `execute_redeploy`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lbtui.core.docker.exec import ExecGateway
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.redeploy.execute import RedeployResult, execute_redeploy
from lbtui.core.redeploy.plan import RedeployPlan, plan_redeploy

ShowPlan = Callable[[RedeployPlan], None]
"""Shows a plan (its lines and its diff) to whoever decides."""
Confirm = Callable[[RedeployPlan], bool]
"""True to carry the shown plan out."""


def accept(plan: RedeployPlan) -> bool:
    """Confirms every plan: `--yes`, and the dashboard's one-key redeploy."""
    return True


def decline(plan: RedeployPlan) -> bool:
    """Confirms no plan: a preview (`--plan`, the dashboard's preview key)."""
    return False


class Outcome(StrEnum):
    """How a redeploy flow ended (a failure raises instead)."""

    UNCHANGED = "unchanged"
    """The running LB already matched the file: nothing to confirm or do."""
    DECLINED = "declined"
    """The plan was shown and not confirmed: nothing changed."""
    DONE = "done"
    """The plan was carried out and passed the health gate."""


@dataclass(frozen=True)
class FlowResult:
    """The plan that was shown, how the flow ended, and what executing it did."""

    plan: RedeployPlan
    outcome: Outcome
    result: RedeployResult | None = None
    """What `execute_redeploy` reported; None unless the outcome is DONE."""

    def describe(self) -> str:
        """One paragraph saying how it ended."""
        vip = self.plan.vip.name
        if self.result is not None:
            return self.result.describe()
        if self.outcome is Outcome.UNCHANGED:
            return f"VIP {vip}: nothing to do"
        return f"VIP {vip}: not redeployed, nothing changed"


def redeploy_flow(
    topology_path: str | Path,
    vip: str,
    gateway: ExecGateway,
    show: ShowPlan,
    confirm: Confirm,
    report: Reporter = ignore_progress,
) -> FlowResult:
    """Re-read the file and plan, show the plan, ask `confirm`, then execute and gate."""
    plan = plan_redeploy(topology_path, vip, gateway)
    show(plan)
    if not plan.changes_anything:
        return FlowResult(plan, Outcome.UNCHANGED)
    if not confirm(plan):
        return FlowResult(plan, Outcome.DECLINED)
    return FlowResult(plan, Outcome.DONE, execute_redeploy(plan, gateway, report))
