"""Roll a changed service through its tasks without a gap: swarm replaces, lbtui drains and gates.

Why swarm's updater, watched, and not lbtui replacing tasks itself: a service has one
spec, and its tasks change version only through swarm's rolling update (or rollback);
there is no call that replaces one chosen task with another spec. What swarm does not
do is drain, nor wait for HAProxy. So lbtui hands swarm the new spec with
- parallelism and order (start-first / stop-first) from the topology's `update:`;
- `delay` = lbtui's gate bound plus a margin: after each replaced task swarm waits that
  long before the next one. lbtui must see the replacement UP (after a passed check) in
  every VIP within the gate bound, or it asks swarm to roll back before the next task
  goes. (Swarm cannot be told to go on early: any spec update restarts its updater, but
  also overwrites the previous spec that swarm's rollback returns to.)
- `failure_action=rollback` for tasks that fail to start; a rollback paced the same.
and watches the manager every 0.1 s:
- a running task swarm marked to stop (an old one being replaced, or a new one a
  rollback removes) is drained at once in every VIP: its engine takes it out of DNS and
  waits ~2 s before stopping it, so the drain lands first;
- a new task must be UP in every VIP within the gate bound, after checks lbtui is sure
  of: a slot that DNS gives a new address counts as UP at once and keeps the check
  status of its previous task, so lbtui forces the slot's health down when it first
  sees the new address there, and only `rise` checks on that task bring it UP;
- a slot drained for a stopped task goes back to ready once HAProxy has dropped that
  address, or at once when a new task's address lands in it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace

from lbtui.core.docker.exec import ExecGateway
from lbtui.core.docker.services import ServiceGateway, ServiceRequest, ServiceSnapshot, TaskSnapshot
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.rollout.lb_server import lb_running
from lbtui.core.services.slots import (
    Forced,
    Slot,
    prove_new,
    read_slots,
    service_vips,
    serving,
    set_slots,
    slot_rows,
)
from lbtui.core.services.spec import LABEL_SPEC
from lbtui.core.topology.model import Service, Topology, Vip

#: Seconds between two looks at the tasks and the LBs.
POLL_S = 0.1
#: Seconds swarm waits after each task beyond lbtui's gate bound, for lbtui to act on a failure.
DELAY_MARGIN_S = 3.0
STEP = "rollout"


def gate_bound_s(vips: list[Vip]) -> float:
    """How long a new task may take to be UP in every VIP.

    HAProxy resolves `tasks.NAME` every second and checks a new address at once; a
    process still starting fails that check, and then needs `rise` passes at `inter`.
    """
    checks = [(v.health_check.rise + 1) * v.health_check.interval_ms / 1000 for v in vips]
    return 3.0 + max(checks, default=0.0)


@dataclass
class _Watch:
    """What the watch has seen so far."""

    initial: set[str]
    forward: set[str] = field(default_factory=set)
    restored: set[str] = field(default_factory=set)
    running_since: dict[str, float] = field(default_factory=dict)
    up: set[str] = field(default_factory=set)
    drained: set[str] = field(default_factory=set)
    """Tasks drained because swarm stops them."""
    held: dict[str, set[str]] = field(default_factory=dict)
    """VIP -> slots lbtui drained and has not made ready again."""
    forced: set[Forced] = field(default_factory=set)
    """(VIP, slot, address) of new tasks whose health lbtui forced down, to be proven by checks."""
    gone: set[str] = field(default_factory=set)
    """Addresses of tasks drained because swarm stops them."""
    rolling_back: bool = False
    failure: str = ""


class _Roll:
    def __init__(
        self,
        hosts: ExecGateway,
        services: ServiceGateway,
        topology: Topology,
        service: Service,
        report: Reporter,
    ) -> None:
        self.hosts = hosts
        self.services = services
        self.service = service
        self.vips = [v for v in service_vips(topology, service.name) if lb_running(hosts, v)]
        self.gate_s = gate_bound_s(self.vips)
        self.report = report
        self.replicas = service.replicas

    def event(self, phase: Phase, target: str, detail: str) -> None:
        self.report(ProgressEvent(phase, STEP, target, self.services.host.name, detail))

    def name(self, task: TaskSnapshot) -> str:
        return f"{self.service.name}.{task.slot}" if task.slot is not None else task.id[:12]

    def address(self, task: TaskSnapshot) -> str:
        return task.addresses.get(self.service.network, "")

    def drain_leaving(self, tasks: list[TaskSnapshot], watch: _Watch) -> None:
        leaving = [
            t
            for t in tasks
            if t.state == "running" and t.desired_state != "running" and t.id not in watch.drained
        ]
        for task in leaving:
            address = self.address(task)
            watch.gone.add(address)
            held: list[Slot] = []
            for vip in self.vips:
                slots = read_slots(self.hosts, vip, self.service.name)
                mine = [s for s in slots if address and s.address == address]
                set_slots(self.hosts, vip, [s.server for s in mine], "drain")
                watch.held.setdefault(vip.name, set()).update(s.server for s in mine)
                held += mine
            watch.drained.add(task.id)
            where = ", ".join(f"{s.vip}: {s.server}" for s in held) or "already out of DNS"
            self.event(Phase.STARTED, self.name(task), f"drained ({where}); swarm stops it")

    def look_at_lbs(self, wanted: list[TaskSnapshot], watch: _Watch) -> dict[str, str]:
        """Mark the wanted tasks UP in every VIP; free drained slots; a problem per task."""
        addresses = {self.address(t): t for t in wanted}
        new = {a for a, t in addresses.items() if t.id not in watch.initial}
        up_everywhere = set(addresses)
        problems: dict[str, str] = {}
        for vip in self.vips:
            slots = read_slots(self.hosts, vip, self.service.name)
            # A drained slot that now holds a wanted task, or no address any more, serves again.
            held = watch.held.get(vip.name, set())
            free = [s.server for s in slots if s.server in held and s.address not in watch.gone]
            set_slots(self.hosts, vip, free, "ready")
            held.difference_update(free)
            prove_new(self.hosts, vip, slots, new, watch.forced)
            rows = slot_rows(self.hosts, vip, self.service.name)
            now_up = {
                address
                for address in serving(rows, slots, new, watch.forced).values()
                if address in addresses
            }
            up_everywhere &= now_up
            for slot in slots:
                row = rows.get(slot.server)
                if slot.address in addresses and slot.address not in now_up and row is not None:
                    problems[addresses[slot.address].id] = (
                        f"{vip.name}: {slot.server} {row.status} "
                        f"({row.check_status} {row.check_desc})".strip()
                    )
        for address in up_everywhere:
            task = addresses[address]
            if task.id not in watch.up and task.id not in watch.initial:
                watch.up.add(task.id)
                took = time.monotonic() - watch.running_since.get(task.id, time.monotonic())
                names = ", ".join(v.name for v in self.vips) or "no running LB"
                verb = "restored" if task.id in watch.restored else "replaced"
                self.event(
                    Phase.DONE,
                    self.name(task),
                    f"{verb} ({task.image}), UP in {names} after {took:.1f} s",
                )
            watch.up.add(task.id)
        return problems

    def step(self, watch: _Watch) -> bool:
        """One look: True once the rollout (or its rollback) is complete."""
        found = self.services.find_service(self.service.name)
        if found is None:
            raise ActionFailed(f"service {self.service.name} vanished during its rollout")
        if found.update_state.startswith("rollback") and not watch.rolling_back:
            watch.rolling_back = True
            watch.failure = watch.failure or f"swarm rolled it back: {found.update_message}"
            self.event(Phase.FAILED, self.service.name, watch.failure)
        tasks = self.services.tasks(self.service.name)
        self.drain_leaving(tasks, watch)
        wanted = [t for t in tasks if t.desired_state == "running"]
        now = time.monotonic()
        for task in wanted:
            if task.id in watch.initial or task.id in watch.forward | watch.restored:
                pass
            elif watch.rolling_back:
                watch.restored.add(task.id)
            else:
                watch.forward.add(task.id)
            if task.state == "running":
                watch.running_since.setdefault(task.id, now)
        running = [t for t in wanted if t.state == "running"]
        problems = self.look_at_lbs(running, watch)
        if not watch.rolling_back:
            late = [
                t
                for t in running
                if t.id in watch.forward
                and t.id not in watch.up
                and now - watch.running_since[t.id] > self.gate_s
            ]
            if late or found.update_state == "paused":
                self.roll_back(watch, late, problems, found)
                return False
        settled = (
            len(running) == len(wanted) == self.replicas
            and all(t.id in watch.up for t in running)
            and all(
                t.id in watch.drained for t in tasks if t.state == "running" and t not in wanted
            )
            and not any(watch.held.values())
        )
        if watch.rolling_back:
            return settled and not any(t.id in watch.forward for t in wanted)
        return settled and all(t.id in watch.forward for t in wanted)

    def roll_back(
        self,
        watch: _Watch,
        late: list[TaskSnapshot],
        problems: dict[str, str],
        found: ServiceSnapshot,
    ) -> None:
        if late:
            task = late[0]
            why = problems.get(task.id, "its address not in HAProxy yet")
            watch.failure = (
                f"the new task {self.name(task)} ({task.image}) was not UP within "
                f"{self.gate_s:g} s ({why})"
            )
        else:
            watch.failure = f"swarm paused the update: {found.update_message}"
        self.event(Phase.FAILED, self.service.name, f"{watch.failure}; rolling back")
        watch.rolling_back = True
        self.services.rollback_service(self.service.name)


@dataclass(frozen=True)
class ServiceRollout:
    """What a service rollout did."""

    service: str
    image: str
    replaced: int
    seconds: float

    def describe(self) -> str:
        """One line for a terminal."""
        return (
            f"service {self.service}: {self.replaced} tasks rolled to {self.image} "
            f"in {self.seconds:.1f} s"
        )


def roll_service(
    hosts: ExecGateway,
    services: ServiceGateway,
    topology: Topology,
    service: Service,
    found: ServiceSnapshot,
    wanted: ServiceRequest,
    report: Reporter,
    timeout_s: float | None = None,
) -> ServiceRollout:
    """Hand swarm the new spec and drain, gate or roll back each task (module docstring).

    `wanted` keeps the running replica count: a count change is a scale, done apart.
    ActionFailed when a replacement failed its gate: swarm rolled the service back and
    the old tasks serve (or the message says which did not come back).
    """
    started = time.monotonic()
    if not replaces_tasks(found, wanted):
        services.update_service(found, wanted)
        return ServiceRollout(service.name, wanted.image, 0, time.monotonic() - started)
    roll = _Roll(hosts, services, topology, service, report)
    roll.replicas = found.replicas or 1
    delay_s = roll.gate_s + DELAY_MARGIN_S if roll.vips else 0.0
    replicas = found.replicas or 1
    bound = timeout_s if timeout_s is not None else 60.0 + replicas * (delay_s + roll.gate_s + 10)
    before = [t for t in services.tasks(service.name) if t.desired_state == "running"]
    watch = _Watch(initial={t.id for t in before})
    roll.event(
        Phase.STARTED,
        service.name,
        f"{replicas} tasks to {wanted.image}, {wanted.update_parallelism} at a time "
        f"({wanted.update_order}); each must be UP within {roll.gate_s:g} s",
    )
    services.update_service(found, replace(wanted, update_delay_s=delay_s))
    deadline = started + bound
    while not roll.step(watch):
        if time.monotonic() >= deadline:
            raise ActionFailed(
                f"service {service.name}: the rollout did not settle within {bound:g} s"
                + (f" ({watch.failure})" if watch.failure else "")
            )
        time.sleep(POLL_S)
    if watch.rolling_back:
        images = sorted({t.image for t in services.tasks(service.name) if t.running})
        raise ActionFailed(
            f"service {service.name}: {watch.failure}\nrolled back: its "
            f"{replicas} tasks of {', '.join(images)} serve again"
        )
    return ServiceRollout(
        service.name, wanted.image, len(watch.forward), time.monotonic() - started
    )


def replaces_tasks(found: ServiceSnapshot, wanted: ServiceRequest) -> bool:
    """False when only the update settings changed: swarm then replaces no task."""
    try:
        old = json.loads(found.labels.get(LABEL_SPEC, ""))
        new = json.loads(wanted.labels[LABEL_SPEC])
    except (json.JSONDecodeError, KeyError):
        return True
    if not isinstance(old, dict) or not isinstance(new, dict):
        return True
    old.pop("update", None)
    new.pop("update", None)
    return bool(old != new)
