"""The real services: the core's gateway, container control, HAProxy stats and actions.

Built by `lbtui.commands.dashboard` and handed to `make_app`; nothing here touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from lbtui.core import actions as core_actions
from lbtui.core.control.servers import ServerAction, control_server
from lbtui.core.docker.control import ContainerControl
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.errors import BadInput
from lbtui.core.faults.apply import add_fault
from lbtui.core.faults.clear import clear_faults
from lbtui.core.faults.model import ActiveFault, FaultOptions, FaultRequest
from lbtui.core.faults.readback import list_faults
from lbtui.core.haproxy.credentials import StatsCredentials, resolve_stats_credentials
from lbtui.core.haproxy.rates import RateHistory, compute_rates
from lbtui.core.haproxy.stats import StatsClient, VipStats, vip_stats_url
from lbtui.core.progress import Reporter
from lbtui.core.redeploy.flow import Confirm, accept, decline, redeploy_flow
from lbtui.core.redeploy.plan import RedeployPlan
from lbtui.core.topology.model import Topology
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.control import DEFAULT_CONTINUOUS_RATE, ContinuousTraffic
from lbtui.tui.data.live_swarm import LiveSwarm
from lbtui.tui.data.services import (
    RedeployPreview,
    Services,
    ShowPreview,
    Stream,
    Task,
    ignore_preview,
)
from lbtui.tui.data.stats_view import ServerView, VipView

TaskHandler = Callable[[Task, Reporter, str | None, ShowPreview], str | None]


class LiveStats:
    """Polls each VIP's stats CSV and turns successive snapshots into rates and history."""

    def __init__(self, topology: Callable[[], Topology], client: StatsClient | None = None) -> None:
        self._topology = topology
        self._client = client or StatsClient()
        self._lock = threading.Lock()
        self._previous: dict[str, VipStats] = {}
        self._history: dict[str, RateHistory] = {}
        self._credentials: dict[str, StatsCredentials] = {}

    def poll(self, vip: str) -> VipView:
        """The VIP's stats now; raises StatsUnavailable (or BadInput) when they cannot be read."""
        topology = self._topology()
        spec = topology.vips[vip]
        credentials = self._credentials.get(vip)
        if credentials is None:
            credentials = self._credentials[vip] = resolve_stats_credentials(topology, spec)
        stats = self._client.fetch(
            vip_stats_url(topology, spec), credentials, spec.frontend_name, spec.haproxy_backend
        )
        with self._lock:
            previous = self._previous.get(vip)
            self._previous[vip] = stats
            history = self._history.setdefault(vip, RateHistory())
            sample = compute_rates(previous, stats) if previous is not None else None
            if sample is not None:
                history.add(sample)
            return _view(vip, stats, sample, history)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


def _view(vip: str, stats: VipStats, sample: Any, history: RateHistory) -> VipView:
    servers = []
    for row in stats.servers:
        rate = sample.server(row.svname) if sample is not None else None
        servers.append(
            ServerView(
                name=row.svname,
                status=row.status,
                check_status=row.check_status,
                check_code=str(row.check_code) if row.check_code is not None else "",
                check_duration_ms=row.check_duration,
                weight=row.weight or 0,
                scur=row.scur,
                stot=row.stot,
                lbtot=row.lbtot,
                rate=rate.per_second if rate is not None else 0.0,
                hrsp_2xx=row.hrsp_2xx,
                hrsp_5xx=row.hrsp_5xx,
                share=rate.share if rate is not None else 0.0,
                history=history.series(row.svname),
                qtime_ms=row.qtime,
                ctime_ms=row.ctime,
                rtime_ms=row.rtime,
                ttime_ms=row.ttime,
            )
        )
    front = stats.frontend
    return VipView(
        vip=vip,
        reachable=True,
        polled_at=stats.fetched_at,
        frontend_scur=front.scur if front is not None else 0,
        frontend_stot=front.stot if front is not None else 0,
        frontend_rate=sample.frontend_per_second if sample is not None else 0.0,
        servers=tuple(servers),
    )


class EventsAsStream:
    """The gateway's event stream, as the dashboard's `Stream`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[Any]:
        return iter(self._stream)

    def close(self) -> None:
        """End the stream."""
        self._stream.close()


class LiveDocker:
    """The gateway as the dashboard's DockerSource (snapshots and events)."""

    def __init__(self, hosts: DockerHosts) -> None:
        self._hosts = hosts

    def snapshot_host(self, name: str) -> Any:
        """The host's state now."""
        return self._hosts.snapshot_host(name)

    def events(self, name: str) -> Stream:
        """The host's Docker events."""
        return EventsAsStream(self._hosts.events(name))


class LiveActions:
    """The core's actions over the gateway; redeploy re-reads the topology file first."""

    def __init__(self, topology: Topology, hosts: DockerHosts) -> None:
        self._topology = topology
        self._hosts = hosts
        self._tasks: dict[Task, TaskHandler] = {
            Task.APPLY: self._apply,
            Task.OVERLAY: self._apply,
            Task.BACKENDS: self._apply,
            Task.LB: self._apply,
            Task.BRIDGE: self._apply,
            Task.PLAN: self._plan,
            Task.REDEPLOY: partial(self._redeploy, confirm=accept),
            Task.PREVIEW: partial(self._redeploy, confirm=decline),
            Task.TEARDOWN: self._teardown,
        }

    def topology(self) -> Topology:
        """The topology as last read."""
        return self._topology

    def run(
        self,
        task: Task,
        reporter: Reporter,
        vip: str | None = None,
        show: ShowPreview = ignore_preview,
    ) -> str | None:
        """Run one task; return the plan's text for `plan`, the outcome for a redeploy."""
        return self._tasks[task](task, reporter, vip, show)

    def _apply(self, task: Task, reporter: Reporter, vip: str | None, show: ShowPreview) -> None:
        core_actions.apply(self._hosts, self._topology, reporter, step=task.step)

    def _plan(self, task: Task, reporter: Reporter, vip: str | None, show: ShowPreview) -> str:
        changes = core_actions.plan(self._hosts, self._topology)
        lines = [change.describe() for change in changes]
        pending = sum(1 for change in changes if change.changes)
        return "\n".join([*lines, f"plan: {pending} change(s), {len(lines) - pending} kept"])

    def _teardown(self, task: Task, reporter: Reporter, vip: str | None, show: ShowPreview) -> None:
        core_actions.teardown(self._hosts, self._topology, reporter)

    def _redeploy(
        self,
        task: Task,
        reporter: Reporter,
        vip: str | None,
        show: ShowPreview,
        confirm: Confirm,
    ) -> str:
        """The core's redeploy flow; the key that started it was the confirmation (or a no)."""
        if vip is None:
            raise BadInput(f"{task.value} needs a VIP")
        source = self._topology.source
        if source is None:
            raise BadInput("this topology was not read from a file: nothing to re-read")

        def show_plan(plan: RedeployPlan) -> None:
            show(RedeployPreview(plan.vip.name, tuple(plan.describe()), plan.diff))

        done = redeploy_flow(Path(source), vip, self._hosts, show_plan, confirm, reporter)
        if task is Task.REDEPLOY:  # a preview leaves the dashboard as it was
            self._topology = done.plan.topology
        return done.describe()


class LiveTraffic:
    """Continuous traffic (the core's `ContinuousTraffic`) against each VIP's published address."""

    def __init__(self, topology: Callable[[], Topology]) -> None:
        self._topology = topology
        self._controls: dict[str, ContinuousTraffic] = {}

    def control(self, vip: str) -> ContinuousTraffic:
        """The VIP's control; a new one (same rate and mode) once a redeploy moved its address."""
        topology = self._topology()
        url = vip_url(topology, topology.vips[vip])
        known = self._controls.get(vip)
        if known is not None and (known.url == url or known.running):
            return known
        rate = known.rate if known is not None else DEFAULT_CONTINUOUS_RATE
        mode = known.mode if known is not None else "fresh"
        control = self._controls[vip] = ContinuousTraffic(url, rate, mode)
        return control


class LiveServers:
    """The core's runtime server control, inside the VIP's LB container."""

    def __init__(self, topology: Callable[[], Topology], hosts: DockerHosts) -> None:
        self._topology = topology
        self._hosts = hosts

    def control(
        self, vip: str, server: str, action: str, weight: int | None, reporter: Reporter
    ) -> str:
        """Apply the change; what HAProxy accepted, as one line."""
        spec = self._topology().vips[vip]
        change = control_server(self._hosts, spec, server, ServerAction(action), weight, reporter)
        return change.describe()


class LiveFaults:
    """The core's faults on the topology's hosts, reached as `lbtui fault` reaches them."""

    def __init__(
        self, topology: Callable[[], Topology], hosts: DockerHosts, options: FaultOptions
    ) -> None:
        self._topology = topology
        self._hosts = hosts
        self._options = options

    def add(self, request: FaultRequest, reporter: Reporter) -> tuple[ActiveFault, ...]:
        """Inject the fault; refused with BadInput before any change (e.g. no netem)."""
        return add_fault(self._hosts, self._topology(), request, self._options, reporter)

    def clear(self, target: str | None, reporter: Reporter) -> tuple[ActiveFault, ...]:
        """Clear the target's faults, or every fault."""
        return clear_faults(self._hosts, self._topology(), target, self._options, reporter)

    def active(self) -> tuple[ActiveFault, ...]:
        """Every fault the engines hold now."""
        return list_faults(self._hosts, self._topology(), self._options)


def live_services(topology: Topology, faults: FaultOptions | None = None) -> Services:
    """Services for a topology against its real hosts."""
    hosts = DockerHosts(topology)
    actions = LiveActions(topology, hosts)
    stats = LiveStats(actions.topology)
    return Services(
        docker=LiveDocker(hosts),
        control=ContainerControl(hosts),
        stats=stats,
        actions=actions,
        traffic=LiveTraffic(actions.topology),
        servers=LiveServers(actions.topology, hosts),
        faults=LiveFaults(actions.topology, hosts, faults or FaultOptions()),
        swarm=LiveSwarm(actions.topology, hosts),
        notices=tuple(hosts.warnings),
        closers=(stats.close, hosts.close),
    )
