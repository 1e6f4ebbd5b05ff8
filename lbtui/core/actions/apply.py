"""Apply: overlay, backends, services, LB, bridge (or one of them), as concurrent jobs.

Each job is one resource, on its host's lane (see `schedule`), waiting only for what
it needs:

    swarm manager            (manager)     the init; every member checked first
    swarm worker H           (H)           after the manager
    networks                 (manager)     after every join; then the nodes' host labels
    backend B                (B's host)    after the overlay
    service S                (service S)   after the overlay
    lb V                     (V's host)    after the overlay and V's backends
    bridge V                 (V's host)    after lb V

A service is its own lane: its work is the swarm's (tasks on many hosts) and mostly
waiting for it to converge, so services do not queue behind one another on the manager.
An LB does not wait for its services: it follows their tasks through DNS (`init-addr
none`), so neither its config check nor its start needs them, and its checks begin as
the tasks come up; apply still returns only once every service runs its replicas.
Each job calls the step's own function on the topology narrowed to its resource, so
that what a step decides and does stays in one place, whether it runs alone or here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from lbtui.core.actions.backends import launch_backends
from lbtui.core.actions.bridge import connect_bridges
from lbtui.core.actions.lb import deploy_lbs
from lbtui.core.actions.overlay import (
    create_overlay,
    ensure_manager,
    ensure_member,
    ensure_networks,
)
from lbtui.core.actions.preflight import check_inputs, render_all
from lbtui.core.actions.schedule import Job, default_parallel, run_jobs
from lbtui.core.actions.scope import hosts_for, swarm_manager, swarm_members
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

#: The key of the job that ends the overlay step (everything else waits for it).
OVERLAY_DONE = "networks"


def apply(
    hosts: DockerGateway,
    topology: Topology,
    report: Reporter = ignore_progress,
    step: Step | str | None = None,
    parallel: int | None = None,
) -> list[Change]:
    """Run every step (or only `step`) with `parallel` workers (default: one per host).

    The input and every host needed are checked first; `parallel=1` runs the jobs one
    after another in the order apply always had.
    """
    steps = list(Step) if step is None else [Step.parse(step)]
    # Whatever step runs, input that cannot render stops apply before any host is contacted;
    # the real credentials (storing a generated password) only once the hosts answer.
    check_inputs(topology)
    hosts.require_reachable(hosts_for(topology, *steps))
    render_all(topology)
    jobs = apply_jobs(hosts, topology, steps)
    return run_jobs(jobs, report, parallel or default_parallel(topology))


def apply_jobs(hosts: DockerGateway, topology: Topology, steps: list[Step]) -> list[Job]:
    """The jobs of these steps, in the order apply runs them with one worker."""
    return [job for name in steps for job in _JOBS[name](hosts, topology)]


def _overlay_jobs(hosts: DockerGateway, topology: Topology) -> list[Job]:
    members = swarm_members(topology)
    jobs = []
    if members:
        manager = swarm_manager(topology)
        jobs.append(Job("swarm manager", manager, lambda r: ensure_manager(hosts, topology, r)))
        jobs += [
            Job(
                f"swarm worker {member}",
                member,
                _member_job(hosts, topology, member),
                frozenset({"swarm manager"}),
            )
            for member in members[1:]
        ]
    joined = frozenset(job.key for job in jobs)
    # Overlay networks live on the manager; a topology without a swarm has local ones only.
    lane = members[0] if members else "networks"
    jobs.append(Job(OVERLAY_DONE, lane, lambda r: ensure_networks(hosts, topology, r), joined))
    return jobs


def _member_job(
    hosts: DockerGateway, topology: Topology, member: str
) -> Callable[[Reporter], list[Change]]:
    return lambda report: ensure_member(hosts, topology, member, report)


def _narrowed(
    function: StepFunction, hosts: DockerGateway, topology: Topology
) -> Callable[[Reporter], list[Change]]:
    return lambda report: function(hosts, topology, report)


_AFTER_OVERLAY = frozenset({OVERLAY_DONE})


def _backend_jobs(hosts: DockerGateway, topology: Topology) -> list[Job]:
    return [
        Job(
            f"backend {name}",
            backend.host,
            _narrowed(
                launch_backends, hosts, dataclasses.replace(topology, backends={name: backend})
            ),
            _AFTER_OVERLAY,
        )
        for name, backend in topology.backends.items()
    ]


def _service_jobs(hosts: DockerGateway, topology: Topology) -> list[Job]:
    return [
        Job(
            f"service {name}",
            f"service {name}",
            _narrowed(
                deploy_services, hosts, dataclasses.replace(topology, services={name: service})
            ),
            _AFTER_OVERLAY,
        )
        for name, service in topology.services.items()
    ]


def _lb_jobs(hosts: DockerGateway, topology: Topology) -> list[Job]:
    jobs = []
    for name, vip in topology.vips.items():
        members = {m.backend for m in vip.servers}
        needs = {f"backend {m}" for m in members if m in topology.backends}
        only = dataclasses.replace(topology, vips={name: vip})
        jobs.append(
            Job(f"lb {name}", vip.host, _narrowed(deploy_lbs, hosts, only), _AFTER_OVERLAY | needs)
        )
    return jobs


def _bridge_jobs(hosts: DockerGateway, topology: Topology) -> list[Job]:
    return [
        Job(
            f"bridge {name}",
            vip.host,
            _narrowed(connect_bridges, hosts, dataclasses.replace(topology, vips={name: vip})),
            frozenset({f"lb {name}"}),
        )
        for name, vip in topology.vips.items()
        if vip.connect_bridge
    ]


_JOBS: dict[Step, Callable[[DockerGateway, Topology], list[Job]]] = {
    Step.OVERLAY: _overlay_jobs,
    Step.BACKENDS: _backend_jobs,
    Step.SERVICES: _service_jobs,
    Step.LB: _lb_jobs,
    Step.BRIDGE: _bridge_jobs,
}
