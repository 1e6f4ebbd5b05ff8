"""Apply: overlay, backends, services, LB, bridge, in that order (or one of them)."""

from __future__ import annotations

from collections.abc import Callable

from lbtui.core.actions.backends import launch_backends
from lbtui.core.actions.bridge import connect_bridges
from lbtui.core.actions.lb import deploy_lbs
from lbtui.core.actions.overlay import create_overlay
from lbtui.core.actions.preflight import check_inputs, render_all
from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.services import deploy_services
from lbtui.core.actions.steps import Change, Step
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.topology.model import Topology

StepFunction = Callable[[DockerGateway, Topology, Reporter], list[Change]]

STEP_FUNCTIONS: dict[Step, StepFunction] = {
    Step.OVERLAY: create_overlay,
    Step.BACKENDS: launch_backends,
    Step.SERVICES: deploy_services,
    Step.LB: deploy_lbs,
    Step.BRIDGE: connect_bridges,
}


def apply(
    hosts: DockerGateway,
    topology: Topology,
    report: Reporter = ignore_progress,
    step: Step | str | None = None,
) -> list[Change]:
    """Run every step (or only `step`); the input and every host needed are checked first."""
    steps = list(Step) if step is None else [Step.parse(step)]
    # Whatever step runs, input that cannot render stops apply before any host is contacted;
    # the real credentials (storing a generated password) only once the hosts answer.
    check_inputs(topology)
    hosts.require_reachable(hosts_for(topology, *steps))
    render_all(topology)
    done: list[Change] = []
    for name in steps:
        done += STEP_FUNCTIONS[name](hosts, topology, report)
    return done
