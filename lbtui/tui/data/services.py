"""What the dashboard needs from the outside world, as protocols; `cli` builds the real ones.

The app never builds a Docker client or an HTTP client itself: it is handed an
object for each of these seams, so tests and the snapshot apps can hand it fakes.
Every method here may block; the app calls them only from thread workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from lbtui.core.actions.steps import Step
from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.faults.model import ActiveFault, FaultRequest
from lbtui.core.progress import Reporter
from lbtui.core.services.status import ServiceStatus
from lbtui.core.topology.model import Topology
from lbtui.core.traffic.spec import TrafficMode
from lbtui.core.traffic.tally import TrafficTally
from lbtui.tui.data.stats_view import VipView


class Task(StrEnum):
    """What the dashboard asks of the core's actions (the CLI's verbs run the same functions)."""

    OVERLAY = Step.OVERLAY.value
    BACKENDS = Step.BACKENDS.value
    LB = Step.LB.value
    BRIDGE = Step.BRIDGE.value
    APPLY = "apply"
    PLAN = "plan"
    REDEPLOY = "redeploy"
    """The selected VIP: plan, show the diff, execute with its gate (no question asked)."""
    PREVIEW = "preview"
    """The selected VIP: plan and show the diff; change nothing."""
    TEARDOWN = "teardown"

    @property
    def step(self) -> Step | None:
        """The one step of apply this task runs (None: not a single step)."""
        return next((step for step in Step if step.value == self.value), None)

    @property
    def needs_vip(self) -> bool:
        """True for the tasks that act on the selected VIP."""
        return self in (Task.REDEPLOY, Task.PREVIEW)


class ContainerOp(StrEnum):
    """What the dashboard does to the selected container."""

    STOP = "stop"
    START = "start"
    KILL = "kill"


@dataclass(frozen=True)
class RedeployPreview:
    """A redeploy plan as the dashboard shows it: what will happen, and the config diff."""

    vip: str
    summary: tuple[str, ...]
    """The plan's lines (mode, launches, removals, notes)."""
    diff: str
    """Unified diff running -> new haproxy.cfg, passwords masked; empty when unchanged."""


ShowPreview = Callable[[RedeployPreview], None]


def ignore_preview(preview: RedeployPreview) -> None:
    """For callers that show no preview."""


class Stream(Protocol):
    """A blocking iterator that another thread can close to end it."""

    def __iter__(self) -> Iterator[Any]: ...

    def close(self) -> None:
        """Stop the stream; a thread blocked in it returns."""


class DockerSource(Protocol):
    """Reads the state of the Docker hosts."""

    def snapshot_host(self, name: str) -> HostSnapshot:
        """The host's state now; `reachable=False` with `error` when it does not answer."""

    def events(self, name: str) -> Stream:
        """The host's Docker events (raw event dicts) as they happen."""


class ContainerControl(Protocol):
    """Drives and inspects single containers, networks and hosts."""

    def stop(self, host: str, container: str) -> None:
        """Stop a container."""

    def start(self, host: str, container: str) -> None:
        """Start a container."""

    def kill(self, host: str, container: str) -> None:
        """Kill a container (SIGKILL)."""

    def inspect_container(self, host: str, container: str) -> Mapping[str, Any]:
        """Docker's inspect data of a container."""

    def inspect_network(self, host: str, network: str) -> Mapping[str, Any]:
        """Docker's inspect data of a network."""

    def host_info(self, host: str) -> Mapping[str, Any]:
        """Docker's `info` of a host."""

    def logs(self, host: str, container: str, tail: int) -> Stream:
        """The container's last `tail` log lines, then new ones as they come (str lines)."""


class StatsSource(Protocol):
    """Reads one VIP's HAProxy statistics."""

    def poll(self, vip: str) -> VipView:
        """The VIP's stats now, with rates from the previous poll; raise when unreachable."""


class ActionRunner(Protocol):
    """Runs the core's actions (the same functions as the headless CLI)."""

    def run(
        self,
        task: Task,
        reporter: Reporter,
        vip: str | None = None,
        show: ShowPreview = ignore_preview,
    ) -> str | None:
        """Run the task; return a text to show (e.g. the plan), raise on failure.

        Redeploy and preview call `show` with the plan before anything changes.
        """

    def topology(self) -> Topology:
        """The topology as the actions see it now (redeploy re-reads the file)."""


class TrafficControl(Protocol):
    """Continuous traffic on one VIP (the core's `ContinuousTraffic`): one owner at a time.

    `start` resolves the target and `stop` waits up to a short grace: the dashboard calls
    every method from a thread worker, one call at a time.
    """

    @property
    def running(self) -> bool:
        """True while a run sends."""

    @property
    def rate(self) -> float:
        """Requests per second of the current or next run."""

    @property
    def mode(self) -> TrafficMode:
        """`fresh` or `keepalive` connections."""

    def start(self) -> TrafficTally:
        """Start a run (bounded in time by the core); a no-op while one runs."""

    def stop(self) -> TrafficTally | None:
        """End the run."""

    def faster(self) -> float:
        """One rate step up; the new rate."""

    def slower(self) -> float:
        """One rate step down; the new rate."""

    def toggle_mode(self) -> TrafficMode:
        """Switch fresh <-> keep-alive connections; the new mode."""

    def tally_or_empty(self) -> TrafficTally:
        """What the current or last run did so far (an empty tally before the first)."""


class TrafficSource(Protocol):
    """Hands out the continuous traffic control of each VIP."""

    def control(self, vip: str) -> TrafficControl:
        """The VIP's traffic control (the same object for the same VIP and address)."""


class ServerControl(Protocol):
    """Runtime control of one server of a VIP (HAProxy's runtime API, no reload)."""

    def control(
        self, vip: str, server: str, action: str, weight: int | None, reporter: Reporter
    ) -> str:
        """Drain, disable, enable or re-weight the server; a line saying what was done."""


class FaultControl(Protocol):
    """The topology's reversible faults, as `lbtui fault` adds, lists and clears them."""

    def add(self, request: FaultRequest, reporter: Reporter) -> tuple[ActiveFault, ...]:
        """Inject a checked fault; the fault as read back. Raises (nothing changed) on refusal."""

    def clear(self, target: str | None, reporter: Reporter) -> tuple[ActiveFault, ...]:
        """Clear the target's faults (every fault when None); what was cleared."""

    def active(self) -> tuple[ActiveFault, ...]:
        """Every active fault, read back from the engines."""


class SwarmControl(Protocol):
    """The topology's swarm services, as `lbtui status` reads them and `lbtui scale` scales them."""

    def statuses(self) -> tuple[ServiceStatus, ...]:
        """Every service of the topology as the manager reports it (problems in place)."""

    def scale(self, service: str, replicas: int, reporter: Reporter) -> str:
        """Bring the service to `replicas` tasks, draining leaving ones first; one line."""


@dataclass(frozen=True)
class Services:
    """Everything the app is handed: one object per seam."""

    docker: DockerSource
    control: ContainerControl
    stats: StatsSource
    actions: ActionRunner
    traffic: TrafficSource | None = None
    """The traffic generator; None where there is none (the key then says so)."""
    servers: ServerControl | None = None
    """Runtime server control; None where there is none."""
    faults: FaultControl | None = None
    """Fault injection; None where there is none (the fault keys then say so)."""
    swarm: SwarmControl | None = None
    """Swarm services; None where there are none (the scale keys then say so)."""
    clock: Callable[[], float] = field(default=time.time)
    """The wall clock; the snapshot tests freeze it."""
    notices: tuple[str, ...] = ()
    """Warnings to show when the app starts (e.g. a host reached without TLS)."""
    closers: tuple[Callable[[], None], ...] = ()

    def close(self) -> None:
        """Release clients and connections (after the app exits)."""
        for close in self.closers:
            close()
