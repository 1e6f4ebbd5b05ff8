"""Swarm services as the dashboard shows them (pure functions): the services pane's rows,
a service's hop in the path view, and which template slots the VIP panel leaves out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from lbtui.core.echo import shown
from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.services.status import ServiceStatus
from lbtui.core.topology.limits import slot_service
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.present.hops import Hop, HopState

SERVICE_COLUMNS: tuple[str, ...] = ("service", "image", "tasks", "hosts", "state", "address")
#: HAProxy's status of a template slot that Docker's DNS gave no address: unused, no fault.
UNUSED_SLOT_STATUS = "MAINT (resolution)"
#: Progress steps that change a service's tasks, and how the pane and path name them running.
TASK_STEPS = {"scale": "scaling", "rollout": "rolling out"}
#: Characters of a task's error or a manager's problem the pane shows.
ERROR_WIDTH = 80


def service_of(key: str) -> str:
    """The service a row of the services pane belongs to (a service row or one of its tasks)."""
    return key.partition("/")[0]


def activity_change(event: ProgressEvent, services: Collection[str]) -> tuple[str, str] | None:
    """(service, what it is doing; '' once done) for a scale or rollout event of a service.

    A service's own `started` begins it and its `done` or `failed` ends it; an event of one
    of its tasks (`web.2`, as rollouts report them) says where it has got to meanwhile.
    """
    if event.step not in TASK_STEPS:
        return None
    word = TASK_STEPS[event.step]
    if event.target in services:
        if event.phase is Phase.STARTED:
            return event.target, f"{word} {event.detail}".strip()
        return event.target, ""
    service = slot_service(event.target)
    if service is None or service not in services:
        return None
    return service, f"{word}: {event.target} {event.phase.value} {event.detail}".strip()


def service_rows(
    statuses: Iterable[ServiceStatus], activity: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """A row per service (image, running/desired, tasks per host, state), then one per task."""
    rows: dict[str, tuple[str, ...]] = {}
    for status in statuses:
        rows[status.name] = (
            status.name,
            status.image,
            f"{status.running}/{status.desired}" if status.deployed else "-",
            hosts_text(status),
            activity.get(status.name) or _state(status),
            "",
        )
        for index, task in enumerate(status.tasks, start=1):
            number = task.slot if task.slot is not None else index
            key = f"{status.name}/{number}"
            if key in rows:  # two tasks in one slot (one leaving): both stay visible
                key = f"{key}#{index}"
            state = f"{task.state}: {task.error}" if task.error else task.state
            rows[key] = (
                f"  task {number}",
                "",
                "",
                task.host,
                shown(state)[:ERROR_WIDTH],
                task.address or "-",
            )
    return rows


def hosts_text(status: ServiceStatus) -> str:
    """`docker1 2, docker2 1`: the running tasks per host."""
    counts = Counter(task.host for task in status.tasks if task.state == "running")
    return ", ".join(f"{host} {count}" for host, count in sorted(counts.items())) or "-"


def _state(status: ServiceStatus) -> str:
    if not status.deployed:
        return shown(status.error or "not deployed")[:ERROR_WIDTH]
    return "running" if status.running == status.desired else "converging"


def unused_slot(server: ServerView, services: Collection[str]) -> bool:
    """True for a template slot of one of `services` that holds no task (no address)."""
    return server.status == UNUSED_SLOT_STATUS and slot_service(server.name) in services


def live_view(view: VipView, services: Collection[str]) -> VipView:
    """The VIP's stats without its services' unused slots: a service shows as its live tasks."""
    if not services or not view.reachable:
        return view
    servers = tuple(s for s in view.servers if not unused_slot(s, services))
    return view if len(servers) == len(view.servers) else replace(view, servers=servers)


def service_hop(
    service: str, stats: VipView | None, status: ServiceStatus | None, activity: str
) -> Hop:
    """A service's hop: its tasks UP in the LB (unused slots aside), swarm's count, a scale."""
    state: HopState = "unknown"
    text = f"service {service}: "
    if stats is None or not stats.reachable:
        text += "tasks through DNS"
    else:
        slots = [s for s in stats.servers if slot_service(s.name) == service]
        used = [s for s in slots if not unused_slot(s, (service,))]
        up = sum(1 for s in used if s.status_class == "-up")
        text += f"{up}/{len(used)} tasks UP in the LB"
        whole = status is None or not status.deployed or up == status.desired
        state = "ok" if up and up == len(used) and whole else "bad"
    if status is not None and status.deployed:
        text += f"; swarm {status.running}/{status.desired}"
    if activity:
        text += f"; {activity}"
        state = "planned"
    return Hop(3, text, state)


def service_events(
    before: Mapping[str, ServiceStatus], after: Mapping[str, ServiceStatus]
) -> list[str]:
    """What changed between two reads of the services: task counts, deployed or not."""
    lines = []
    for name, status in after.items():
        old = before.get(name)
        if old is None:
            continue
        if old.deployed != status.deployed:
            why = "deployed" if status.deployed else shown(status.error or "not deployed")
            lines.append(f"service {name}: {why[:ERROR_WIDTH]}")
        elif (old.running, old.desired) != (status.running, status.desired):
            lines.append(
                f"service {name}: {old.running}/{old.desired} -> "
                f"{status.running}/{status.desired} tasks running"
            )
    return lines
