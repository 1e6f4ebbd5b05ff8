"""The dashboard's layout helpers: following a re-read topology, the selected VIP, focus,
the filter bar, maximising and the diff pane. The base of the screen's command handlers."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.screen import Screen

from lbtui.core.topology.model import Topology
from lbtui.tui.data.pollers import Poller
from lbtui.tui.data.stats_view import VipView
from lbtui.tui.widgets.filter_bar import FilterBar
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.pane import Pane
from lbtui.tui.widgets.vip_panel import VipPanel


class DashboardLayout(Screen[None]):
    """What moves panes and focus; the panes and pollers live in DashboardScreen."""

    topology: Topology
    selected_vip: str
    containers_table: KeyedTable
    vip_panels: dict[str, VipPanel]
    diff_pane: Pane
    stats: dict[str, VipView]
    stats_pollers: dict[str, Poller]
    _last_table: KeyedTable | None = None

    def stats_poller(self, vip: str) -> Poller:
        """A poller of the VIP's stats (not started)."""
        raise NotImplementedError

    def repaint_docker(self) -> None:
        """Rebuild every Docker-fed pane."""
        raise NotImplementedError

    def log_event(self, source: str, text: str, at: float | None = None) -> None:
        """Add a line to the events pane."""
        raise NotImplementedError

    def follow_topology(self, latest: Topology) -> None:
        """A redeploy re-read the file: members, the path and the VIP panels follow it."""
        self.topology = latest
        for vip in [name for name in latest.vips if name not in self.vip_panels]:
            panel = self.vip_panels[vip] = VipPanel(latest, vip)
            self.query_one("#vips", VerticalScroll).mount(panel)
            poller = self.stats_pollers[vip] = self.stats_poller(vip)
            poller.start()
            self.log_event("lbtui", f"VIP {vip} added to the file: watching it")
        for vip in [name for name in self.vip_panels if name not in latest.vips]:
            self.stats_pollers.pop(vip).stop()
            self.vip_panels.pop(vip).remove()
            self.stats.pop(vip, None)
            self.log_event("lbtui", f"VIP {vip} left the file: not watched; teardown removes it")
        if self.selected_vip not in latest.vips:
            self.selected_vip = next(iter(latest.vips), "")
        self.repaint_docker()

    def action_close_diff(self) -> None:
        """Escape: hide the diff pane (a navigation key, like Escape in the filter bar)."""
        if self.has_class("-diff"):
            self.remove_class("-diff")
            if self.focused is not None and self.diff_pane in self.focused.ancestors_with_self:
                self.containers_table.focus()

    def next_vip(self) -> None:
        """Select the next VIP."""
        names = list(self.topology.vips)
        if names:
            index = names.index(self.selected_vip) if self.selected_vip in names else -1
            self.selected_vip = names[(index + 1) % len(names)]

    def focused_table(self) -> KeyedTable | None:
        """The focused table, or the one focused last."""
        if isinstance(self.focused, KeyedTable):
            self._last_table = self.focused
        return self._last_table

    def open_filter(self) -> None:
        """Open the filter bar on the focused table."""
        table = self.focused_table() or self.containers_table
        self.query_one(FilterBar).open_for(table)

    def toggle_maximise(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)
