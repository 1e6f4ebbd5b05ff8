"""Actions: ordered, idempotent steps that bring Docker hosts to a topology.

Each step reads the real state first, does only what is missing, and reports
progress events. The CLI and the dashboard call the same functions.
"""

from __future__ import annotations

from lbtui.core.actions.apply import STEP_FUNCTIONS, apply
from lbtui.core.actions.backends import launch_backends, plan_backends
from lbtui.core.actions.bridge import connect_bridges, plan_bridges
from lbtui.core.actions.lb import deploy_lb, deploy_lbs, plan_lbs, render_vip
from lbtui.core.actions.overlay import create_overlay, plan_networks, plan_swarm
from lbtui.core.actions.plan import plan
from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.status import TopologyStatus, collect_status
from lbtui.core.actions.steps import Change, Step, Verdict
from lbtui.core.actions.teardown import teardown
from lbtui.core.actions.validate import validate_config
from lbtui.core.docker.gateway import DockerGateway

__all__ = [
    "STEP_FUNCTIONS",
    "Change",
    "DockerGateway",
    "Step",
    "TopologyStatus",
    "Verdict",
    "apply",
    "collect_status",
    "connect_bridges",
    "create_overlay",
    "deploy_lb",
    "deploy_lbs",
    "hosts_for",
    "launch_backends",
    "plan",
    "plan_backends",
    "plan_bridges",
    "plan_lbs",
    "plan_networks",
    "plan_swarm",
    "render_vip",
    "teardown",
    "validate_config",
]
