"""Scale a service: new tasks take traffic once their checks pass; leaving tasks drain first.

Which tasks a scale-down removes is swarm's choice, and it cannot be made in advance:
swarmkit removes tasks from the nodes holding the most copies (then non-running ones
first), in an order that is not otherwise defined. So lbtui does not guess. It reads
the slot -> address map of every VIP first, sets the new replica count, and watches
the manager: swarm marks the leaving tasks (desired state no longer `running`) at
once, while each engine only stops its task after taking it out of Docker's DNS and
waiting ~2 s for that to spread. In that window lbtui drains the leaving tasks' slots
in every VIP (one runtime API call each), so no new request reaches them; it then
waits for their sessions to end and the tasks to stop, and puts each slot back to
ready once HAProxy has let go of its address, so a task that later takes the slot
gets traffic. HAProxy's `retries` with `option redispatch` cover a request that
still finds a stopped task.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lbtui.core.docker.exec import ExecGateway
from lbtui.core.docker.services import ServiceGateway, TaskSnapshot
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.services.slots import Slot, read_slots, service_vips, serving, set_slots, slot_rows
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX
from lbtui.core.topology.model import Service, Topology, Vip
from lbtui.core.topology.yaml_nodes import suggestion

#: Seconds between two looks at the tasks while swarm picks the leaving ones.
WATCH_POLL_S = 0.05
#: How long swarm may take to mark the leaving tasks.
MARK_TIMEOUT_S = 5.0
#: Seconds between two looks at tasks or slots while waiting for them to settle.
POLL_S = 0.25


@dataclass(frozen=True)
class ScaleResult:
    """What a scale did."""

    service: str
    before: int
    after: int
    seconds: float
    drained: tuple[str, ...] = ()
    """`VIP/slot` of every slot drained because its task was leaving."""
    serving: dict[str, dict[str, str]] = field(default_factory=dict)
    """VIP -> the service's slots UP in it at the end -> the task address each holds."""
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for a terminal."""
        vips = "; ".join(f"{vip}: {len(slots)} UP" for vip, slots in sorted(self.serving.items()))
        return (
            f"service {self.service}: {self.before} -> {self.after} tasks in "
            f"{self.seconds:.1f} s" + (f" ({vips})" if vips else "")
        )


def select_service(topology: Topology, name: str) -> Service:
    """The service called `name`; BadInput naming the choices otherwise."""
    service = topology.services.get(name)
    if service is not None:
        return service
    choices = sorted(topology.services)
    raise BadInput(
        f"topology {topology.name} has no service {name!r}{suggestion(name, choices)} "
        f"(services: {', '.join(choices) or 'none'})"
    )


def check_replicas(replicas: int) -> None:
    """BadInput unless 1 <= replicas <= SERVICE_REPLICAS_MAX (HAProxy's slot count)."""
    if not 1 <= replicas <= SERVICE_REPLICAS_MAX:
        raise BadInput(
            f"replicas must be 1 to {SERVICE_REPLICAS_MAX} (each VIP has "
            f"{SERVICE_REPLICAS_MAX} HAProxy slots per service), not {replicas}"
        )


class _Scaler:
    def __init__(
        self,
        hosts: ExecGateway,
        services: ServiceGateway,
        topology: Topology,
        service: Service,
        report: Reporter,
        timeout_s: float,
    ) -> None:
        self.hosts = hosts
        self.services = services
        self.service = service
        self.vips = service_vips(topology, service.name)
        self.report = report
        self.timeout_s = timeout_s
        self.notes: list[str] = []

    def event(self, phase: Phase, detail: str, target: str | None = None) -> None:
        self.report(
            ProgressEvent(
                phase, "scale", target or self.service.name, self.services.host.name, detail
            )
        )

    def running(self) -> list[TaskSnapshot]:
        return [t for t in self.services.tasks(self.service.name) if t.running]

    def address(self, task: TaskSnapshot) -> str:
        return task.addresses.get(self.service.network, "")

    def wait(self, what: str, done: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() >= deadline:
                self.notes.append(f"{what}: not within {timeout_s:g} s")
                return False
            time.sleep(POLL_S)
        return True

    def wait_tasks(self, replicas: int) -> None:
        def converged() -> bool:
            tasks = self.services.tasks(self.service.name)
            wanted = [t for t in tasks if t.desired_state == "running"]
            return len(wanted) == replicas and all(t.state == "running" for t in wanted)

        if not self.wait(f"{replicas} tasks running", converged, self.timeout_s):
            raise ActionFailed(
                f"service {self.service.name} did not reach {replicas} running tasks within "
                f"{self.timeout_s:g} s: {self.task_problems() or 'no task error reported'}"
            )

    def task_problems(self) -> str:
        tasks = [t for t in self.services.tasks(self.service.name) if t.desired_state == "running"]
        return "; ".join(
            f"task {t.slot}: {t.state} {t.error or t.message}".strip()
            for t in tasks
            if t.state != "running"
        )

    def wait_serving(self, vip: Vip, addresses: set[str], fresh: set[str]) -> dict[str, str]:
        """Wait until exactly the running tasks are UP in the VIP; the slots UP at the end.

        A slot drained by an earlier scale-down that HAProxy now fills with a new task
        (`fresh`) is made ready as soon as it is seen, or that task would get no traffic.
        """
        up: dict[str, str] = {}

        def ready() -> bool:
            nonlocal up
            slots = read_slots(self.hosts, vip, self.service.name)
            stale = [s.server for s in slots if s.admin == "drain" and s.address in fresh]
            set_slots(self.hosts, vip, stale, "ready")
            up = serving(slot_rows(self.hosts, vip, self.service.name), slots)
            held = {address for server, address in up.items() if server not in stale}
            return held == addresses

        self.wait(f"{vip.name}: exactly the running tasks UP", ready, self.timeout_s)
        return up

    def release(self, vip: Vip, slots: list[Slot], gone: set[str]) -> None:
        """Slots drained for leaving tasks go back to ready once HAProxy dropped the address."""
        names = {s.server for s in slots}
        current: list[Slot] = []

        def dropped() -> bool:
            nonlocal current
            current = [
                s for s in read_slots(self.hosts, vip, self.service.name) if s.server in names
            ]
            return all(s.address not in gone for s in current)

        self.wait(f"{vip.name}: DNS to drop the stopped tasks", dropped, self.timeout_s)
        # Without an address a slot reads as maint (resolution); `ready` clears only the
        # drain lbtui set, so the slot serves again once DNS gives it a task.
        free = [s.server for s in current if s.address not in gone]
        set_slots(self.hosts, vip, free, "ready")
        kept = sorted(names - set(free))
        if kept:
            self.notes.append(f"{vip.name}: {', '.join(kept)} left drained (address not dropped)")

    def up(self, before: list[TaskSnapshot], replicas: int) -> dict[str, dict[str, str]]:
        self.services.scale_service(self.service.name, replicas)
        self.wait_tasks(replicas)
        old = {self.address(t) for t in before}
        now = {self.address(t) for t in self.running()}
        return {vip.name: self.wait_serving(vip, now, now - old) for vip in self.vips}

    def down(
        self, before: list[TaskSnapshot], replicas: int
    ) -> tuple[list[str], dict[str, dict[str, str]]]:
        maps = {vip.name: read_slots(self.hosts, vip, self.service.name) for vip in self.vips}
        self.services.scale_service(self.service.name, replicas)
        leaving = self.leaving(before, replicas)
        gone = {self.address(t) for t in leaving}
        drained: list[str] = []
        held: dict[str, list[Slot]] = {}
        for vip in self.vips:
            slots = [s for s in maps[vip.name] if s.address in gone]
            if len(slots) < len(gone):  # a task HAProxy had not seen when the map was read
                slots = [
                    s for s in read_slots(self.hosts, vip, self.service.name) if s.address in gone
                ]
            set_slots(self.hosts, vip, [s.server for s in slots], "drain")
            held[vip.name] = slots
            drained += [f"{vip.name}/{s.server}" for s in slots]
        self.event(Phase.DONE, f"drained {', '.join(drained) or 'no slot'}", "drain")
        for vip in self.vips:
            self.wait_sessions(vip, held[vip.name])
        self.wait_tasks(replicas)
        now = {self.address(t) for t in self.running()}
        result = {}
        for vip in self.vips:
            self.release(vip, held[vip.name], gone)
            result[vip.name] = self.wait_serving(vip, now, set())
        return drained, result

    def leaving(self, before: list[TaskSnapshot], replicas: int) -> list[TaskSnapshot]:
        """The running tasks swarm marked to go, seen as soon as it marks them."""
        ids = {t.id for t in before}
        deadline = time.monotonic() + MARK_TIMEOUT_S
        while True:
            tasks = self.services.tasks(self.service.name)
            wanted = [t for t in tasks if t.desired_state == "running"]
            if len(wanted) <= replicas:
                return [t for t in tasks if t.id in ids and t.desired_state != "running"]
            if time.monotonic() >= deadline:
                raise ActionFailed(
                    f"swarm did not mark tasks of {self.service.name} to leave within "
                    f"{MARK_TIMEOUT_S:g} s"
                )
            time.sleep(WATCH_POLL_S)

    def wait_sessions(self, vip: Vip, slots: list[Slot]) -> None:
        names = {s.server for s in slots}

        def idle() -> bool:
            rows = slot_rows(self.hosts, vip, self.service.name)
            return all(rows[n].scur == 0 for n in names if n in rows)

        if names:
            self.wait(f"{vip.name}: sessions on drained slots to end", idle, self.timeout_s)


def scale_service(
    hosts: ExecGateway,
    services: ServiceGateway,
    topology: Topology,
    name: str,
    replicas: int,
    report: Reporter = ignore_progress,
    timeout_s: float = 60.0,
) -> ScaleResult:
    """Bring the service to `replicas` tasks, draining leaving tasks in every VIP first."""
    service = select_service(topology, name)
    check_replicas(replicas)
    started = time.monotonic()
    scaler = _Scaler(hosts, services, topology, service, report, timeout_s)
    if services.find_service(service.name) is None:
        raise ActionFailed(
            f"service {service.name} is not deployed; run `lbtui apply` on the topology first"
        )
    before = scaler.running()
    scaler.event(Phase.STARTED, f"{len(before)} -> {replicas} tasks")
    try:
        drained: list[str] = []
        if replicas < len(before):
            drained, result = scaler.down(before, replicas)
        else:
            result = scaler.up(before, replicas)
    except Exception as error:
        scaler.event(Phase.FAILED, str(error))
        raise
    outcome = ScaleResult(
        service.name,
        len(before),
        replicas,
        time.monotonic() - started,
        tuple(drained),
        result,
        tuple(scaler.notes),
    )
    scaler.event(Phase.DONE, outcome.describe())
    return outcome
