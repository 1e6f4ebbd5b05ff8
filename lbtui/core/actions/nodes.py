"""Label swarm nodes with their topology host names, so that services can be placed by host.

Lab engines (and cloned machines) share one hostname, so `node.hostname` cannot
tell them apart; `lbtui.host=<topology host>` can. Part of the overlay step, after
the hosts joined: only topologies with services need it, so only they get it.
"""

from __future__ import annotations

from functools import partial

from lbtui.core.actions.scope import swarm_manager, swarm_members
from lbtui.core.actions.steps import Change, Verdict, carry_out
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.services import NODE_HOST_LABEL
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.topology.model import Topology


def plan_node_labels(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """Each swarm member's node: keep its label, or label it (after it joins)."""
    if not topology.services:
        return []
    manager = swarm_manager(topology)
    nodes = {}
    if hosts.swarm_state(manager).is_manager:
        nodes = {node.id: node for node in hosts.services(manager).nodes()}
    changes = []
    wanted = f"{NODE_HOST_LABEL}={{}}"
    for member in swarm_members(topology):
        state = hosts.swarm_state(member)
        node = nodes.get(state.node_id) if state.active else None
        if node is not None and node.labels.get(NODE_HOST_LABEL) == member:
            changes.append(Change("node", member, member, Verdict.KEEP, wanted.format(member)))
        else:
            reason = wanted.format(member) + ("" if node is not None else " once in the swarm")
            changes.append(Change("node", member, member, Verdict.LABEL, reason))
    return changes


def label_nodes(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Put `lbtui.host=<name>` on the swarm node of every member host."""
    return [
        carry_out(change, report, partial(_label, hosts, topology, change.host))
        for change in plan_node_labels(hosts, topology)
    ]


def _label(hosts: DockerGateway, topology: Topology, member: str) -> str:
    state = hosts.swarm_state(member)
    if not state.active or not state.node_id:
        raise ActionFailed(f"host {member} is not in the swarm, so its node cannot be labelled")
    hosts.services(swarm_manager(topology)).label_node(state.node_id, {NODE_HOST_LABEL: member})
    return f"node {state.node_id[:12]} labelled {NODE_HOST_LABEL}={member}"
