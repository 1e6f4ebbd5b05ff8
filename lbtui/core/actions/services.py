"""Deploy services: each topology service created, updated or scaled on the swarm's manager.

Runs between the backends and the LBs: an LB follows a service through DNS, so its
configuration does not need the tasks to exist, but they should be serving by the
time the LB (and its health gate) comes up. A changed spec is rolled out by
`core.rollout.service` (swarm replaces the tasks per the service's `update:` settings,
lbtui drains each before it stops and gates each replacement in the LBs); a changed
replica count goes through `core.services.scale`, which drains leaving tasks first.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from typing import cast

from lbtui.core.actions.scope import swarm_manager
from lbtui.core.actions.steps import Change, Verdict, carry_out
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.services import ServiceGateway, ServiceSnapshot
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.rollout.service import roll_service
from lbtui.core.services.scale import scale_service
from lbtui.core.services.spec import (
    ROLE,
    replica_difference,
    service_request,
    spec_differences,
)
from lbtui.core.topology.model import LABEL_ROLE, LABEL_TOPOLOGY, Service, Topology

STEP = "service"
#: How long a new or updated service may take until all its tasks run.
CONVERGE_TIMEOUT_S = 60.0
#: How long teardown waits for a removed service's tasks to leave its network.
REMOVE_TIMEOUT_S = 30.0


def service_change(topology: Topology, service: Service, found: ServiceSnapshot | None) -> Change:
    """Compare a found service with the topology's; a foreign service of that name fails."""
    manager = swarm_manager(topology)
    wanted = service_request(topology, service)
    if found is None:
        return Change(STEP, service.name, manager, Verdict.CREATE, "missing")
    if not topology.owns(found.labels):
        raise ActionFailed(
            f"a swarm service named {service.name} was not created by lbtui for topology "
            f"{topology.name}; remove or rename it"
        )
    differences = spec_differences(found.labels, wanted)
    replicas = replica_difference(found, wanted)
    if differences:
        return Change(STEP, service.name, manager, Verdict.UPDATE, "; ".join(differences))
    if replicas is not None:
        return Change(STEP, service.name, manager, Verdict.SCALE, replicas)
    return Change(STEP, service.name, manager, Verdict.KEEP, f"{service.replicas} replicas")


def plan_services(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """What `deploy_services` would do to each service."""
    if not topology.services:
        return []
    gateway = hosts.services(swarm_manager(topology))
    return [
        service_change(topology, service, _find(hosts, topology, gateway, service.name))
        for service in topology.services.values()
    ]


def _find(
    hosts: DockerGateway, topology: Topology, gateway: ServiceGateway, name: str
) -> ServiceSnapshot | None:
    # A manager not yet in a swarm (plan before the first apply) has no services at all.
    if not hosts.swarm_state(swarm_manager(topology)).is_manager:
        return None
    return gateway.find_service(name)


def deploy_services(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Create, update or scale every service, then wait until each runs its replicas."""
    if not topology.services:
        return []
    hosts.require_reachable([swarm_manager(topology)])
    gateway = hosts.services(swarm_manager(topology))
    done = []
    for change in plan_services(hosts, topology):
        service = topology.services[change.target]
        work = partial(_carry_out, hosts, gateway, topology, service, change, report)
        done.append(carry_out(change, report, work))
    return done


def _carry_out(
    hosts: DockerGateway,
    gateway: ServiceGateway,
    topology: Topology,
    service: Service,
    change: Change,
    report: Reporter,
) -> str:
    wanted = service_request(topology, service)
    if change.verdict is Verdict.CREATE:
        gateway.create_service(wanted)
        _wait_running(gateway, service.name, service.replicas)
        return f"{service.replicas} tasks running on {service.network}"
    found = gateway.find_service(service.name)
    if found is None:
        raise ActionFailed(f"service {service.name} vanished while being changed")
    rolled = ""
    if change.verdict is Verdict.UPDATE:
        # Keep today's count: a change of count goes through the draining scale below.
        current = replace(wanted, replicas=found.replicas or 1)
        rollout = roll_service(_exec(hosts), gateway, topology, service, found, current, report)
        rolled = rollout.describe()
        _wait_running(gateway, service.name, found.replicas or 1)
    if found.replicas != service.replicas:
        result = scale_service(
            _exec(hosts), gateway, topology, service.name, service.replicas, report
        )
        return f"{rolled}; {result.describe()}" if rolled else result.describe()
    return f"{rolled}; {service.replicas} tasks running"


def _exec(hosts: DockerGateway) -> ExecGateway:
    """Scaling talks to the LBs' runtime API, which needs the gateway's exec side."""
    if not callable(getattr(hosts, "client", None)):
        raise ActionFailed("scaling a service needs a gateway that can exec into the LBs")
    return cast(ExecGateway, hosts)


def _wait_running(gateway: ServiceGateway, name: str, replicas: int) -> None:
    deadline = time.monotonic() + CONVERGE_TIMEOUT_S
    while True:
        wanted = [t for t in gateway.tasks(name) if t.desired_state == "running"]
        if len(wanted) == replicas and all(t.state == "running" for t in wanted):
            return
        if time.monotonic() >= deadline:
            problems = "; ".join(
                f"task {t.slot} {t.state}: {t.error or t.message}"
                for t in wanted
                if t.state != "running"
            )
            raise ActionFailed(
                f"service {name}: {replicas} tasks not running within "
                f"{CONVERGE_TIMEOUT_S:g} s ({problems or 'no task yet'})"
            )
        time.sleep(0.25)


def remove_services(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Remove every service labelled with the topology; wait until their tasks are gone."""
    if topology.swarm is None:
        return []
    manager = swarm_manager(topology)
    if not hosts.swarm_state(manager).is_manager:
        return []
    gateway = hosts.services(manager)
    done = []
    for found in gateway.list_services({LABEL_TOPOLOGY: topology.name, LABEL_ROLE: ROLE}):
        if not topology.owns(found.labels):
            reason = "belongs to another file of the same topology name: left alone"
            done.append(
                carry_out(
                    Change("teardown", found.name, manager, Verdict.KEEP, reason),
                    report,
                    lambda: None,
                )
            )
            continue
        change = Change("teardown", found.name, manager, Verdict.REMOVE, ROLE)
        done.append(carry_out(change, report, partial(_remove, gateway, found.name)))
    return done


def _remove(gateway: ServiceGateway, name: str) -> str:
    gateway.remove_service(name)
    # Its tasks leave the network a moment later; the network cannot go before them.
    deadline = time.monotonic() + REMOVE_TIMEOUT_S
    while gateway.tasks(name):
        if time.monotonic() >= deadline:
            raise ActionFailed(f"service {name} removed, but its tasks still exist")
        time.sleep(0.25)
    return "removed"
