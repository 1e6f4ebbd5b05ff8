"""The main screen: every pane, fed by one poller per source, with every action one key away."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Header

from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.topology.model import Topology
from lbtui.tui.data.messages import (
    ActionProgressed,
    DockerEventSeen,
    EventStreamLost,
    FaultsChanged,
    FaultsPolled,
    HostPolled,
    ServiceScaled,
    ServicesPolled,
    StatsPolled,
    TrafficChanged,
    TrafficPolled,
)
from lbtui.tui.data.pacing import StatsPacing
from lbtui.tui.data.pollers import Poller, StreamPump
from lbtui.tui.data.services import Services
from lbtui.tui.data.sources import event_pump, fetch_host, fetch_stats
from lbtui.tui.data.stats_view import VipView
from lbtui.tui.keys import Command, bindings
from lbtui.tui.present import rows as views
from lbtui.tui.present.event_text import STATE_CHANGING_TYPES, describe_docker_event, stats_events
from lbtui.tui.screens.dashboard_actions import DashboardActions
from lbtui.tui.screens.dashboard_faults import FaultController
from lbtui.tui.screens.dashboard_services import ServiceController
from lbtui.tui.screens.dashboard_traffic import TrafficController
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.diff_view import DiffView
from lbtui.tui.widgets.event_log import EventLog
from lbtui.tui.widgets.filter_bar import FilterBar
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.pane import Pane
from lbtui.tui.widgets.path_view import PathView
from lbtui.tui.widgets.vip_panel import VipPanel

STATS_PAINT_DELAY_S = 0.02
"""A little over a frame (Textual paints at 60 fps)."""
AGES_EVERY_S = 0.9
"""A stats paint refreshes the ages (hosts pane, VIP titles) when they are this old."""
AGES_FALLBACK_S = 1.5
"""Seconds without a stats paint after which the ages tick alone."""


class DashboardScreen(DashboardActions):
    """Hosts, networks, containers, VIP stats, path and events side by side."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings(),
        Binding("escape", "close_diff", "Close diff", show=False),
    ]

    selected_vip: reactive[str] = reactive("")
    """The VIP the path view and `r` act on."""

    def __init__(self, topology: Topology, services: Services, refresh: RefreshSettings) -> None:
        super().__init__()
        self.topology = topology
        self.services = services
        self.refresh_settings = refresh
        self.stats_pacing = StatsPacing(refresh)
        self.hosts: dict[str, HostSnapshot] = {}
        self.last_ok: dict[str, float] = {}
        self.stats: dict[str, VipView] = {}
        self.host_pollers: dict[str, Poller] = {}
        self.stats_pollers: dict[str, Poller] = {}
        self._pumps: list[StreamPump] = []
        self._streams_lost: set[str] = set()
        self._repaint_pending = False
        self._stats_to_show: dict[str, VipView] = {}
        self._ticked_at = 0.0
        self.faults = FaultController(self)
        self.traffic = TrafficController(self)
        self.swarm = ServiceController(self)
        # Held here, not looked up: the 1 s tick and every poll would walk the DOM otherwise.
        self.hosts_table = KeyedTable(views.HOST_COLUMNS, id="hosts")
        self.networks_table = KeyedTable(views.NETWORK_COLUMNS, id="networks")
        self.containers_table = KeyedTable(
            views.CONTAINER_COLUMNS, id="containers", marked_column=views.FAULT_COLUMN
        )
        self.path_view = PathView(id="path")
        self.path_pane = Pane(self.path_view, title="Path", id="path-pane")
        self.vip_panels = {vip: VipPanel(topology, vip) for vip in topology.vips}
        self.event_log = EventLog(id="events")
        self.diff_view = DiffView(id="diff")
        self.diff_pane = Pane(VerticalScroll(self.diff_view), title="Redeploy diff", id="diff-pane")

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="panes"):
            yield Pane(self.hosts_table, title="Hosts", id="hosts-pane")
            yield self.path_pane
            with Pane(title="VIP stats", id="vips-pane"), VerticalScroll(id="vips"):
                yield from self.vip_panels.values()
            containers = Pane(self.containers_table, title="Containers", id="containers-pane")
            yield self.swarm.column(containers)
            yield Pane(self.networks_table, title="Networks", id="networks-pane")
            yield self.traffic.pane
            yield Pane(self.event_log, title="Events", id="events-pane")
            yield self.diff_pane
        yield FilterBar()
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"lbtui: {self.topology.name}"
        self.sub_title = str(self.topology.source or "")
        self.selected_vip = next(iter(self.topology.vips), "")
        self.repaint_docker()
        refresh = self.refresh_settings
        docker = self.services.docker
        for name, host in self.topology.hosts.items():
            poller = Poller(
                self,
                f"poll host {name}",
                fetch_host(docker, name, host.url, self.services.clock),
                refresh.docker_s,
            )
            self.host_pollers[name] = poller
            self._pumps.append(event_pump(self.services.docker, name, self, refresh.retry_s))
        for vip in self.topology.vips:
            self.stats_pollers[vip] = self.stats_poller(vip)
        for poller in [*self.host_pollers.values(), *self.stats_pollers.values()]:
            poller.start()
        for pump in self._pumps:
            pump.start()
        self.faults.start()
        self.swarm.start()
        # Stats paints refresh the ages too; this timer only fires when no paint came for
        # a while, so an idle screen is drawn once a second, not twice.
        self._ages_timer = self.set_interval(AGES_FALLBACK_S, self._tick, name="ages")
        self.containers_table.focus()

    def on_unmount(self) -> None:
        for poller in [*self.host_pollers.values(), *self.stats_pollers.values()]:
            poller.stop()
        self.traffic.stop()
        for pump in self._pumps:
            pump.stop()
        self.faults.stop()
        self.swarm.stop()

    def stats_poller(self, vip: str) -> Poller:
        """A poller of the VIP's stats (not started)."""
        fetch = fetch_stats(self.services.stats, vip, self.services.clock)
        return Poller(self, f"poll stats {vip}", fetch, self.refresh_settings.stats_s)

    def log_event(self, source: str, text: str, at: float | None = None) -> None:
        """Add a line to the events pane."""
        self.event_log.add(self.services.clock() if at is None else at, source, text)

    def repaint_docker(self) -> None:
        """Rebuild every Docker-fed pane from the latest host snapshots."""
        now = self.services.clock()
        with self.app.batch_update():
            rows = views.host_rows(self.topology, self.hosts, self.last_ok, now)
            self.hosts_table.sync(rows)
            self.networks_table.sync(views.network_rows(self.topology, self.hosts))
            marks = self.faults.marks
            self.containers_table.sync(views.container_rows(self.topology, self.hosts, marks))
            self.repaint_path()

    def repaint_path(self) -> None:
        """Redraw the path view of the selected VIP."""
        if self.selected_vip:
            stats = self.stats.get(self.selected_vip)
            marks = self.faults.marks
            swarm = self.swarm.shown_state
            hops = views.path_hops(
                self.topology, self.selected_vip, self.hosts, stats, marks, *swarm
            )
            self.path_view.show(hops)
            title = f"Path of {self.selected_vip}"
            if self.path_pane.border_title != title:  # setting it, even unchanged, repaints
                self.path_pane.border_title = title

    def watch_selected_vip(self, vip: str) -> None:
        for name, panel in self.vip_panels.items():
            panel.set_class(name == vip, "-selected")
        self.repaint_path()
        self.traffic.paint()

    def _tick(self) -> None:
        self._ticked_at = time.monotonic()
        self._ages_timer.reset()
        now = self.services.clock()
        rows = views.host_rows(self.topology, self.hosts, self.last_ok, now)
        self.hosts_table.sync(rows)
        for panel in self.vip_panels.values():
            panel.refresh_title(now)

    @on(HostPolled)
    def _host_polled(self, message: HostPolled) -> None:
        snap = message.snapshot
        before = self.hosts.get(snap.name)
        self.hosts[snap.name] = snap
        if snap.reachable:
            self.last_ok[snap.name] = snap.polled_at
        if before is not None and before.reachable != snap.reachable:
            text = "reachable again" if snap.reachable else f"UNREACHABLE: {snap.error}"
            self.log_event(snap.name, f"host {text}", snap.polled_at)
        if not self._repaint_pending:
            # Polls that land together (after an action, every host) share one repaint.
            self._repaint_pending = True
            self.call_later(self._repaint_pending_docker)
        retry = None if snap.reachable else self.refresh_settings.retry_s
        self.host_pollers[snap.name].finished(retry)

    def _repaint_pending_docker(self) -> None:
        self._repaint_pending = False
        self.repaint_docker()

    @on(StatsPolled)
    def _stats_polled(self, message: StatsPolled) -> None:
        view = self.swarm.live(message.view)  # a service shows as its tasks, not 32 slots
        poller = self.stats_pollers.get(view.vip)
        if poller is None:  # a poll of a VIP that left the file, landing late
            return
        before = self.stats.get(view.vip)
        self.stats[view.vip] = view
        for line in stats_events(before, view):
            self.log_event("haproxy", line, view.polled_at)
        for line in self.faults.stats_effects(before, view):
            self.log_event("faults", line, view.polled_at)
        if view.vip == self.selected_vip:
            self.repaint_path()
            self.traffic.stats_polled(view)
        if not self._stats_to_show:
            # The panels repaint a frame after the tables (call_after_refresh can run before
            # that frame): polls landing together cost two short frames, not one long stall.
            self.set_timer(STATS_PAINT_DELAY_S, self._show_pending_stats, name="stats paint")
        self._stats_to_show[view.vip] = view
        poller.finished(self.stats_pacing.next_delay(before, view, time.monotonic()))

    def _show_pending_stats(self) -> None:
        views, self._stats_to_show = self._stats_to_show, {}
        now = self.services.clock()
        with self.app.batch_update():
            for view in views.values():
                if view.vip in self.vip_panels:
                    self.vip_panels[view.vip].show(view, now)
            if time.monotonic() - self._ticked_at >= AGES_EVERY_S:
                self._tick()

    @on(FaultsPolled)
    @on(FaultsChanged)
    def _faults(self, message: FaultsPolled | FaultsChanged) -> None:
        self.faults.handle(message)

    @on(TrafficChanged)
    @on(TrafficPolled)
    def _traffic(self, message: TrafficChanged | TrafficPolled) -> None:
        self.traffic.handle(message)

    @on(ServicesPolled)
    @on(ServiceScaled)
    def _swarm(self, message: ServicesPolled | ServiceScaled) -> None:
        self.swarm.handle(message)

    @on(DockerEventSeen)
    def _docker_event(self, message: DockerEventSeen) -> None:
        self._streams_lost.discard(message.host)
        text = describe_docker_event(message.event)
        if text is None:
            return
        self.log_event(message.host, text, message.event.time or None)
        if message.event.type in STATE_CHANGING_TYPES:
            self.stats_pacing.stir(time.monotonic())
            self.host_pollers[message.host].wake()
            self.swarm.wake()
            self.faults.docker_event(message.event.action)

    @on(EventStreamLost)
    def _stream_lost(self, message: EventStreamLost) -> None:
        if message.host not in self._streams_lost:
            self._streams_lost.add(message.host)
            self.log_event(message.host, f"event stream lost: {message.reason}")
        self.host_pollers[message.host].wake()

    @on(ActionProgressed)
    def _progress(self, message: ActionProgressed) -> None:
        self.log_event("lbtui", message.event.describe(), message.event.at)
        self.swarm.progress(message.event)

    def wake_all(self) -> None:
        """Poll every source now (after an action changed the world)."""
        self.stats_pacing.stir(time.monotonic())
        for poller in [
            *self.host_pollers.values(),
            *self.stats_pollers.values(),
            *self.faults.pollers,
            *self.traffic.pollers.values(),
            *self.swarm.pollers,
        ]:
            poller.wake()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.run_command(Command.DETAILS)

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, VipPanel):
            self.selected_vip = event.widget.vip
