"""Launch backends: each backend's container on its host and network, labelled, restarting."""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import cast

from lbtui.core.actions.containers import container_change, lost_its_network
from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.specs import backend_request
from lbtui.core.actions.steps import Change, Step, Verdict, carry_out
from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.rollout.container import replace_backend
from lbtui.core.topology.model import Topology


def plan_backends(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """What `launch_backends` would do to each backend."""
    changes = []
    for backend in topology.backends.values():
        wanted = backend_request(topology, backend)
        found = hosts.find_container(backend.host, backend.name)
        changes.append(container_change("backend", topology, backend.host, wanted, found))
    return changes


def launch_backends(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Run every backend that is missing, stopped or out of spec."""
    hosts.require_reachable(hosts_for(topology, Step.BACKENDS))
    done = []
    for change in plan_backends(hosts, topology):
        wanted = backend_request(topology, topology.backends[change.target])
        work = partial(run_container, hosts, change, wanted, topology, report)
        done.append(carry_out(change, report, work))
    return done


def run_container(
    hosts: DockerGateway,
    change: Change,
    wanted: ContainerRequest,
    topology: Topology | None = None,
    report: Reporter = ignore_progress,
) -> str:
    """Carry out a container change: (re)create and start, or just start.

    Given the topology, a backend that changed is rolled (`core.rollout.container`):
    drained in every VIP whose LB has it, replaced, gated, enabled, or rolled back.
    """
    if change.verdict is Verdict.START:
        try:
            hosts.start_container(change.host, wanted.name)
            return "started"
        except ActionFailed as error:
            if not lost_its_network(error):
                raise
        hosts.remove_container(change.host, wanted.name)
        recreated = run_container(
            hosts, dataclasses.replace(change, verdict=Verdict.CREATE), wanted
        )
        return f"{recreated} (recreated: its host had forgotten the network)"
    if change.verdict is Verdict.REPLACE and topology is not None and can_exec(hosts):
        return replace_backend(cast(ExecGateway, hosts), topology, change.host, wanted, report)
    if change.verdict is Verdict.REPLACE:
        hosts.remove_container(change.host, wanted.name)
    container_id = hosts.create_container(change.host, wanted)
    hosts.start_container(change.host, container_id)
    return f"running ({container_id[:12]}) on {wanted.network}"


def can_exec(hosts: DockerGateway) -> bool:
    """True for a gateway that can reach the LBs' runtime API (the real one does)."""
    return callable(getattr(hosts, "client", None))
