"""The dashboard's continuous traffic: start/stop, rate and mode, the per-server view and chart.

A plain object the dashboard screen owns (as it owns the fault controller). Every call into a
VIP's traffic control runs in a thread worker, one at a time (starting resolves the address,
stopping waits a short grace); a poller per running VIP reads its tally in a worker (merging
the sliding window's histograms there) and posts it; the UI thread only paints: the traffic
line under the VIP's servers, the per-server table (by key) and the latency chart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lbtui.tui.data.messages import TrafficChanged, TrafficPolled
from lbtui.tui.data.pollers import Poller
from lbtui.tui.data.services import TrafficControl
from lbtui.tui.data.sources import fetch_traffic
from lbtui.tui.data.stats_view import VipView
from lbtui.tui.keys import TrafficOp
from lbtui.tui.present.fault_effects import TrafficCount
from lbtui.tui.present.traffic_rows import (
    TRAFFIC_COLUMNS,
    Marker,
    chart_lines,
    chart_markers,
    server_rows,
    traffic_title,
)
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.latency_chart import LatencyChart
from lbtui.tui.widgets.pane import Pane

if TYPE_CHECKING:
    from lbtui.tui.screens.dashboard import DashboardScreen

#: The sliding window's bucket: a poll a second gives the chart one new point per poll.
TRAFFIC_POLL_S = 1.0
TRAFFIC_GROUP = "traffic"
#: The screen class that shows the traffic pane (in place of the containers and networks).
VIEW_CLASS = "-traffic"
#: Markers kept (the chart shows the latest few that fall in its span).
MARKERS_KEPT = 50

Change = Callable[[TrafficControl], tuple[bool, str]]
"""A call into a control: (whether it started a new run, what changed as one line)."""


def _toggle(control: TrafficControl) -> tuple[bool, str]:
    if control.running:
        control.stop()
        return False, "stopped"
    control.start()
    return True, (
        f"started: {control.rate:g} req/s, {control.mode} connections, at most 10 min "
        "(g: per-server figures and latency chart)"
    )


def _faster(control: TrafficControl) -> tuple[bool, str]:
    return False, f"rate {control.faster():g} req/s"


def _slower(control: TrafficControl) -> tuple[bool, str]:
    return False, f"rate {control.slower():g} req/s"


def _mode(control: TrafficControl) -> tuple[bool, str]:
    return False, f"{control.toggle_mode()} connections"


class TrafficController:
    """Traffic commands on the selected VIP, and what its runs measured."""

    def __init__(self, screen: DashboardScreen) -> None:
        self.screen = screen
        self.table = KeyedTable(TRAFFIC_COLUMNS, id="traffic-servers")
        self.chart = LatencyChart(id="latency-chart")
        self.pane = Pane(self.table, self.chart, title="Traffic", id="traffic-pane")
        self.controls: dict[str, TrafficControl] = {}
        self.polled: dict[str, TrafficPolled] = {}
        """The last tally read of each VIP."""
        self.pollers: dict[str, Poller] = {}
        self.markers: list[Marker] = []
        self._runs: dict[str, int] = {}
        self._serial = 0
        # The core's control has one owner at a time: the workers take turns.
        self._lock = threading.Lock()

    @property
    def visible(self) -> bool:
        """True while the traffic pane is shown."""
        return self.screen.has_class(VIEW_CLASS)

    def run(self, op: TrafficOp) -> None:
        """A traffic command, from its key or the palette."""
        changes: dict[TrafficOp, Change] = {
            TrafficOp.TOGGLE: _toggle,
            TrafficOp.FASTER: _faster,
            TrafficOp.SLOWER: _slower,
            TrafficOp.MODE: _mode,
        }
        if op is TrafficOp.VIEW:
            self.show_view(not self.visible)
        else:
            self._call(changes[op])

    def _call(self, change: Change) -> None:
        screen = self.screen
        vip, source = screen.selected_vip, screen.services.traffic
        if not vip or source is None:
            screen.notify("no traffic generator here", severity="warning")
            return

        def work() -> None:
            with self._lock:
                control = source.control(vip)
                started, what = change(control)
            screen.post_message(TrafficChanged(vip, control, started, what))

        screen.app.run_worker(
            work, name=f"traffic {vip}", group=TRAFFIC_GROUP, thread=True, exit_on_error=False
        )

    def handle(self, message: TrafficChanged | TrafficPolled) -> None:
        """The screen's traffic messages: a call into a control returned, or a tally read."""
        if isinstance(message, TrafficChanged):
            self.changed(message)
        else:
            self.handle_polled(message)

    def changed(self, message: TrafficChanged) -> None:
        """A call into a control returned: poll its tally now (a new run gets a new poller)."""
        vip, screen = message.vip, self.screen
        self.controls[vip] = message.traffic
        screen.log_event("traffic", f"{vip}: {message.what}")
        poller = self.pollers.get(vip)
        if message.started or poller is None:
            if poller is not None:
                poller.stop()
            if message.started:
                self._serial += 1
                self._runs[vip] = self._serial
            run = self._runs.get(vip, 0)
            fetch = fetch_traffic(message.traffic, vip, run, screen.services.clock)
            poller = self.pollers[vip] = Poller(
                screen, f"poll traffic {vip}", fetch, TRAFFIC_POLL_S
            )
            poller.start()
        else:
            poller.wake()

    def handle_polled(self, message: TrafficPolled) -> None:
        """A tally was read: the traffic line, and the view if it is the selected VIP's."""
        vip = message.vip
        if message.run != self._runs.get(vip, 0):
            return  # a late read of an earlier run; its poller was stopped
        self.polled[vip] = message
        panel = self.screen.vip_panels.get(vip)
        if panel is not None:
            panel.show_traffic(message.tally)
        if vip == self.screen.selected_vip:
            self.paint()
        poller = self.pollers.get(vip)
        if poller is None:
            return
        if message.tally.running:
            poller.finished()
        else:  # the run ended (stopped, or its time limit): its last figures stay shown
            poller.stop()
            del self.pollers[vip]

    def count(self, vip: str) -> TrafficCount | None:
        """The VIP's run and its failures so far, as last read, if a run is going on."""
        polled = self.polled.get(vip)
        if polled is None or not polled.tally.running:
            return None
        return TrafficCount(polled.run, polled.tally.failed)

    def running_vips(self) -> list[str]:
        """VIPs whose last read tally was running."""
        return [vip for vip, polled in self.polled.items() if polled.tally.running]

    def mark(self, label: str) -> None:
        """Mark the chart now (a fault added or cleared, a redeploy done)."""
        self.markers = [
            *self.markers[-MARKERS_KEPT + 1 :],
            Marker(self.screen.services.clock(), label),
        ]
        self.paint()

    def stats_polled(self, view: VipView) -> None:
        """HAProxy's figures changed: the selected VIP's rows show them."""
        if view.vip == self.screen.selected_vip:
            self.paint()

    def show_view(self, visible: bool) -> None:
        """Show the traffic pane in place of the containers and networks, or hide it."""
        screen = self.screen
        screen.set_class(visible, VIEW_CLASS)
        focused = screen.focused
        if visible and focused is not None and focused.parent is not None:
            if focused.parent.id in ("containers-pane", "networks-pane", "services-pane"):
                self.table.focus()
        elif not visible and focused is not None and self.pane in focused.ancestors_with_self:
            screen.containers_table.focus()
        self.paint()

    def paint(self) -> None:
        """Repaint the pane from the selected VIP's last tally and stats (when shown)."""
        if not self.visible:
            return
        vip = self.screen.selected_vip
        polled = self.polled.get(vip)
        window = polled.tally.figures if polled is not None else None
        with self.screen.app.batch_update():
            self.table.sync(server_rows(window, self.screen.stats.get(vip)))
            if polled is not None and window is not None:
                markers = chart_markers(self.markers, window, polled.at)
                self.chart.show(chart_lines(window), markers)
            else:
                self.chart.show((), ())
            title = traffic_title(vip, polled.tally if polled is not None else None)
            if self.pane.border_title != title:
                self.pane.border_title = title

    def stop(self) -> None:
        """Stop polling, and every run (the app is closing)."""
        for poller in self.pollers.values():
            poller.stop()
        with self._lock:
            for control in self.controls.values():
                if control.running:
                    control.stop()
