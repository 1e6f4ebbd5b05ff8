"""One VIP's live HAProxy stats in a single widget: title, then a line per server.

One widget per VIP (not one per cell) keeps a refresh cheap with many VIPs; colours
come from component classes styled in app.tcss (`vip-panel--up`, `vip-panel--down`...).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widget import Widget

from lbtui.core.topology.model import Topology
from lbtui.core.traffic.tally import TrafficTally
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.present.fault_text import mark_text
from lbtui.tui.present.rows import age_text
from lbtui.tui.present.stats_text import (
    BARS,
    FIGURES_HEADER,
    figures_text,
    share_text,
    spark_levels,
    spark_points,
    traffic_text,
)

STATUS_COMPONENTS = {
    "-up": "vip-panel--up",
    "-down": "vip-panel--down",
    "-maint": "vip-panel--maint",
    "-drain": "vip-panel--drain",
    "-nolb": "vip-panel--nolb",
    "-other": "vip-panel--other",
}


class VipPanel(Widget, can_focus=True):
    """The stats of one VIP; focusing it makes it the selected VIP."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vip-panel--title",
        "vip-panel--header",
        "vip-panel--share",
        "vip-panel--spark-min",
        "vip-panel--spark-max",
        "vip-panel--cursor",
        "vip-panel--traffic",
        "vip-panel--failed",
        "vip-panel--fault",
        *STATUS_COMPONENTS.values(),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Previous server", show=False),
        Binding("down", "cursor(1)", "Next server", show=False),
    ]

    def __init__(self, topology: Topology, vip: str) -> None:
        super().__init__(classes="vip-panel", id=f"vip-{vip}")
        self.vip = vip
        spec = topology.vips[vip]
        host = topology.hosts[spec.host]
        self._where = f"{spec.host} {host.address or ''}:{spec.publish}".replace(" :", ":")
        self._view: VipView | None = None
        self._title = f"{self.vip}  {self._where}  waiting for the first poll"
        self._traffic: str | None = None
        self._traffic_failed = False
        self._faults: Mapping[str, str] = {}
        self.cursor = 0
        """Index of the selected server line."""

    @property
    def selected_server(self) -> str | None:
        """The server under the cursor, if the LB reports any."""
        view = self._view
        if view is None or not view.reachable or not view.servers:
            return None
        return view.servers[min(self.cursor, len(view.servers) - 1)].name

    def action_cursor(self, step: int) -> None:
        """Move the server cursor."""
        view = self._view
        if view is not None and view.reachable and view.servers:
            self.cursor = (min(self.cursor, len(view.servers) - 1) + step) % len(view.servers)
            self.refresh()

    @property
    def traffic_line(self) -> str | None:
        """The traffic generator's line as shown, if a run was started."""
        return self._traffic

    def show_traffic(self, tally: TrafficTally | None) -> None:
        """Show (or hide, with None) the traffic generator's line."""
        text = traffic_text(tally) if tally is not None else None
        failed = tally is not None and tally.failed > 0
        if (text, failed) == (self._traffic, self._traffic_failed):
            return
        layout = (text is None) != (self._traffic is None)
        self._traffic, self._traffic_failed = text, failed
        self.refresh(layout=layout)

    @property
    def faults(self) -> Mapping[str, str]:
        """Server name -> its faults as shown (`pause`, `loss 30 %`)."""
        return self._faults

    def show_faults(self, faults: Mapping[str, str]) -> None:
        """Mark the faulted servers' lines."""
        if dict(faults) != dict(self._faults):
            self._faults = dict(faults)
            self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    @property
    def view(self) -> VipView | None:
        """The last stats shown."""
        return self._view

    def show(self, view: VipView, now: float) -> None:
        """Repaint from a poll, only if what shows changed; a layout only if the height did."""
        before = self._view
        self._view = view
        self.set_class(not view.reachable, "-unreachable")
        title = self._title_text(now)
        if title == self._title and _visible(before) == _visible(view):
            return
        self._title = title
        lines_before = len(before.servers) if before is not None and before.reachable else 0
        lines_now = len(view.servers) if view.reachable else 0
        self.refresh(layout=lines_before != lines_now)

    def refresh_title(self, now: float) -> None:
        """Rewrite the title line (its age changes as time passes)."""
        title = self._title_text(now)
        if title != self._title:
            self._title = title
            self.refresh()

    def _title_text(self, now: float) -> str:
        view = self._view
        if view is None:
            return self._title
        if not view.reachable:
            reason = (view.error or "no answer").splitlines()[0][:90]
            return f"{self.vip}  {self._where}  LB UNREACHABLE: {reason}  (retrying)"
        return (
            f"{self.vip}  {self._where}  frontend: {view.frontend_scur} current, "
            f"{view.frontend_rate:.1f} req/s, {view.frontend_stot} total  "
            f"updated {age_text(view.polled_at, now)}"
        )

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        view = self._view
        servers = len(view.servers) if view is not None and view.reachable else 0
        return 2 + servers + (1 if self._traffic is not None else 0)

    def render(self) -> RenderableType:
        # Plain Text lines, not a rich Table: with many VIPs a table is too slow to lay out.
        style = self.get_component_rich_style
        title = Text(
            self._title, style=style("vip-panel--title"), no_wrap=True, overflow="ellipsis"
        )
        header = Text(
            f"{'server':<8} {'status':<8} {FIGURES_HEADER} {'share':<15} last minute",
            style=style("vip-panel--header"),
            no_wrap=True,
            overflow="ellipsis",
        )
        lines: list[RenderableType] = [title, header]
        view = self._view
        if view is not None and view.reachable:
            lines.extend(self._server_line(server) for server in view.servers)
            if self.has_focus and view.servers:
                cursor = lines[2 + min(self.cursor, len(view.servers) - 1)]
                if isinstance(cursor, Text):
                    cursor.stylize(style("vip-panel--cursor"), 0, 8)
        if self._traffic is not None:
            name = "vip-panel--failed" if self._traffic_failed else "vip-panel--traffic"
            lines.append(Text(self._traffic, style=style(name), no_wrap=True, overflow="ellipsis"))
        return Group(*lines)

    def _server_line(self, server: ServerView) -> Text:
        style = self.get_component_rich_style
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{server.name[:8]:<8} ")
        line.append(
            f"{(server.status or '?')[:8]:<8}", style(STATUS_COMPONENTS[server.status_class])
        )
        line.append(f" {figures_text(server)} ")
        line.append(f"{share_text(server.share):<15}", style("vip-panel--share"))
        line.append(" ")
        fault = self._faults.get(server.name)
        if fault:
            line.append(f"{mark_text(fault)} ", style("vip-panel--fault"))
        width = self.content_region.width - line.cell_len
        idle, busy = style("vip-panel--spark-min"), style("vip-panel--spark-max")
        # Two colours (idle / serving) in runs: a span per bar made many-VIP refreshes slow.
        for serving, run in groupby(spark_levels(spark_points(server.history), width), bool):
            line.append("".join(BARS[level] for level in run), busy if serving else idle)
        return line


def _visible(view: VipView | None) -> object:
    """What the panel draws of a view, to skip repaints that would change nothing."""
    if view is None or not view.reachable:
        return None
    return [
        (s.name, s.status, figures_text(s), share_text(s.share), spark_points(s.history))
        for s in view.servers
    ]
