"""Plan: what apply would do to each resource, and why; changes nothing on any host."""

from __future__ import annotations

from lbtui.core.actions.backends import plan_backends
from lbtui.core.actions.bridge import plan_bridges
from lbtui.core.actions.lb import plan_lbs
from lbtui.core.actions.nodes import plan_node_labels
from lbtui.core.actions.overlay import plan_networks, plan_swarm
from lbtui.core.actions.preflight import check_inputs, render_all
from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.services import plan_services
from lbtui.core.actions.steps import Change
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.topology.model import Topology


def plan(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """Every resource apply manages, with its verdict (keep, create, replace, ...) and reason."""
    check_inputs(topology)
    hosts.require_reachable(hosts_for(topology))
    render_all(topology)
    lb_changes = plan_lbs(hosts, topology)
    return [
        *plan_swarm(hosts, topology),
        *plan_networks(hosts, topology),
        *plan_node_labels(hosts, topology),
        *plan_backends(hosts, topology),
        *plan_services(hosts, topology),
        *lb_changes,
        *plan_bridges(hosts, topology, lb_changes),
    ]
