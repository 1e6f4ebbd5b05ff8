"""The dashboard's swarm services: the services pane and its poller, `+`/`-` scaling through
the core, and what a scale or rollout in progress shows in the pane and the path view.

A plain object the dashboard screen owns, like the fault and traffic controllers: the
screen forwards the services messages and every progress event to it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.widget import Widget

from lbtui.core.echo import shown
from lbtui.core.progress import ProgressEvent
from lbtui.core.services.status import ServiceStatus
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX
from lbtui.core.topology.pools import pool_services
from lbtui.tui.data.messages import ActionProgressed, ServiceScaled, ServicesPolled
from lbtui.tui.data.pollers import Poller
from lbtui.tui.data.sources import fetch_services
from lbtui.tui.data.stats_view import VipView
from lbtui.tui.keys import ServiceOp
from lbtui.tui.present.service_rows import (
    ERROR_WIDTH,
    SERVICE_COLUMNS,
    activity_change,
    live_view,
    service_events,
    service_of,
    service_rows,
)
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.pane import Pane

if TYPE_CHECKING:
    from lbtui.tui.screens.dashboard import DashboardScreen

PANE_TITLE = "Services"


class ServiceController:
    """The topology's services as the swarm manager reports them, and scaling one of them."""

    def __init__(self, screen: DashboardScreen) -> None:
        self.screen = screen
        self.table = KeyedTable(SERVICE_COLUMNS, id="services")
        self.pane = Pane(self.table, title=PANE_TITLE, id="services-pane")
        self.statuses: dict[str, ServiceStatus] = {}
        """The last successful read, by service name."""
        self.activity: dict[str, str] = {}
        """Service -> what a scale or rollout in progress is doing (`scaling 4 -> 5 tasks`)."""
        self.poller: Poller | None = None
        self._error: str | None = None

    @property
    def shown(self) -> bool:
        """True when the topology has services (the pane exists)."""
        return bool(self.screen.topology.services)

    def start(self) -> None:
        """Read the services now, then on Docker events and every Docker poll interval."""
        screen = self.screen
        swarm = screen.services.swarm
        if swarm is None or not self.shown:
            return
        fetch = fetch_services(swarm, screen.services.clock)
        self.poller = Poller(screen, "poll services", fetch, screen.refresh_settings.docker_s)
        self.poller.start()

    def column(self, containers: Pane) -> Widget:
        """The containers pane; in a topology with services, under the services pane."""
        return Vertical(self.pane, containers, id="services-column") if self.shown else containers

    def wake(self) -> None:
        """Read the services soon (a Docker event may have changed a task)."""
        if self.poller is not None:
            self.poller.wake()

    def stop(self) -> None:
        """Poll no more."""
        if self.poller is not None:
            self.poller.stop()

    @property
    def pollers(self) -> list[Poller]:
        """The services poller, if there are services."""
        return [] if self.poller is None else [self.poller]

    @property
    def shown_state(self) -> tuple[dict[str, ServiceStatus], dict[str, str]]:
        """What the path view shows of the services: their last read, and their activity."""
        return self.statuses, self.activity

    def live(self, view: VipView) -> VipView:
        """The VIP's stats with its services' unused template slots left out."""
        topology = self.screen.topology
        spec = topology.vips.get(view.vip)
        return view if spec is None else live_view(view, pool_services(topology, spec))

    def handle(self, message: ServicesPolled | ServiceScaled) -> None:
        """The screen's services messages: a read, or a scale done here."""
        if isinstance(message, ServicesPolled):
            self.polled(message)
        else:
            self.scaled(message)

    def polled(self, message: ServicesPolled) -> None:
        """A read of the services: the pane, the path, and a line per change in the events."""
        screen = self.screen
        error = shown(message.error) if message.error is not None else None  # an engine's text
        if error is not None and error != self._error:
            screen.log_event("swarm", f"services UNREADABLE: {error}", message.at)
        elif error is None and self._error is not None:
            screen.log_event("swarm", "services readable again", message.at)
        self._error = error
        if self.activity and not screen.action_running:
            self.activity.clear()  # whatever the events said, nothing is being done now
        if error is None:
            after = {status.name: status for status in message.statuses}
            for line in service_events(self.statuses, after):
                screen.log_event("swarm", line, message.at)
            self.statuses = after
        self.paint()
        if self.poller is not None:
            self.poller.finished(self._interval())

    def _interval(self) -> float | None:
        refresh = self.screen.refresh_settings
        if self._error is not None:
            return refresh.retry_s
        moving = any(s.running != s.desired for s in self.statuses.values())
        # Tasks starting or stopping are watched closely; a settled swarm waits for events.
        return refresh.stats_s if self.activity or moving else None

    def progress(self, event: ProgressEvent) -> None:
        """A progress event of any action: a scale or rollout of a service shows while it runs."""
        change = activity_change(event, self.screen.topology.services)
        if change is None:
            return
        service, doing = change
        if doing:
            self.activity[service] = doing
        else:
            self.activity.pop(service, None)
        self.paint()
        self.wake()

    def paint(self) -> None:
        """Repaint the pane (by key) and the path view."""
        if not self.shown:
            return
        screen = self.screen
        with screen.app.batch_update():
            self.table.sync(service_rows(self.statuses.values(), self.activity))
            title = PANE_TITLE
            if self._error is not None:
                title += f"  UNREADABLE: {self._error.splitlines()[0][:ERROR_WIDTH]}  (retrying)"
            if self.pane.border_title != title:
                self.pane.border_title = title
            screen.repaint_path()

    def run(self, op: ServiceOp) -> None:
        """`+`/`-`: scale the selected service by one task, through the core, in a worker."""
        screen = self.screen
        swarm = screen.services.swarm
        if swarm is None or not self.shown:
            screen.notify("this topology has no swarm services to scale", severity="warning")
            return
        key = self.table.selected_key
        status = self.statuses.get(service_of(key)) if key is not None else None
        if status is None:
            screen.notify("select a service in the services pane first", severity="warning")
            return
        name = status.name
        if not status.deployed:
            screen.notify(f"service {name} is not deployed: apply first", severity="warning")
            return
        target = status.desired + op.step
        if not 1 <= target <= SERVICE_REPLICAS_MAX:
            screen.notify(
                f"service {name} has {status.desired} tasks: scaling stays within "
                f"1..{SERVICE_REPLICAS_MAX} (the LB's slots)",
                severity="warning",
            )
            return

        def report(event: ProgressEvent) -> None:
            screen.post_message(ActionProgressed(event))

        def work() -> str:
            done = swarm.scale(name, target, report)
            screen.post_message(ServiceScaled(name, target))
            return done

        screen.start_action(f"scale {name} to {target}", work)

    def scaled(self, message: ServiceScaled) -> None:
        """A scale returned: its count is the desired one until the next read says more."""
        status = self.statuses.get(message.service)
        if status is not None:
            self.statuses[message.service] = replace(status, desired=message.replicas)
        self.activity.pop(message.service, None)
        self.paint()
