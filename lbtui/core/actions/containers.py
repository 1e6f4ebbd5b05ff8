"""Decide what to do with one container the topology wants: create, keep, start or replace."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lbtui.core.actions.specs import spec_differences
from lbtui.core.actions.steps import Change, Verdict
from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.snapshots import ContainerSnapshot
from lbtui.core.errors import ActionFailed
from lbtui.core.topology.model import LABEL_TOPOLOGY, LABEL_TOPOLOGY_ID, Topology


def container_change(
    step: str,
    topology: Topology,
    host: str,
    wanted: ContainerRequest,
    found: ContainerSnapshot | None,
) -> Change:
    """Compare a found container with the wanted one; a foreign container of that name fails."""
    if found is None:
        return Change(step, wanted.name, host, Verdict.CREATE, "missing")
    if not topology.owns(found.labels):
        raise ActionFailed(
            f"a container named {wanted.name} on {host} was not created by lbtui for topology "
            f"{topology.name} (id {topology.id}){_made_by(found.labels)}; remove or rename it"
        )
    differences = spec_differences(found.labels, wanted)
    if differences:
        return Change(step, wanted.name, host, Verdict.REPLACE, "; ".join(differences))
    if not found.running:
        return Change(step, wanted.name, host, Verdict.START, f"container is {found.state}")
    return Change(step, wanted.name, host, Verdict.KEEP, "running as specified")


_LOST_NETWORK = re.compile(r"network \S+ not found")


def lost_its_network(error: ActionFailed) -> bool:
    """True when a stopped container cannot start because its engine forgot its network.

    Seen on the lab: a worker whose dockerd restarted no longer knows the attachable
    overlay its stopped containers were on, until a new container asks for it by name.
    Recreating the container is then the way back.
    """
    return bool(_LOST_NETWORK.search(str(error)))


def _made_by(labels: Mapping[str, str]) -> str:
    """ ", it belongs to topology X (id Y)" when another lbtui topology made it."""
    if LABEL_TOPOLOGY not in labels:
        return ""
    other_id = labels.get(LABEL_TOPOLOGY_ID, "none")
    hint = (
        f"; if this file is that one moved, give it `id: {other_id}`" if other_id != "none" else ""
    )
    return f"; it belongs to topology {labels[LABEL_TOPOLOGY]} (id {other_id}){hint}"
