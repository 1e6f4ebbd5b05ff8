"""The dashboard's commands: actions in thread workers, container control, modals, focus helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.screen import Screen
from textual.worker import WorkerState

from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.topology.model import Topology
from lbtui.tui.data.messages import ActionFinished, ActionProgressed
from lbtui.tui.data.services import Services, TrafficRun
from lbtui.tui.screens.confirm import ConfirmScreen
from lbtui.tui.screens.detail import DetailKind, DetailScreen
from lbtui.tui.screens.weight import WeightScreen
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.filter_bar import FilterBar
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.vip_panel import VipPanel

ACTIONS_GROUP = "actions"


class DashboardActions(Screen[None]):
    """Command handlers of the dashboard; the panes and pollers live in DashboardScreen."""

    topology: Topology
    services: Services
    refresh_settings: RefreshSettings
    selected_vip: str
    traffic_runs: dict[str, TrafficRun]
    containers_table: KeyedTable
    vip_panels: dict[str, VipPanel]
    _last_table: KeyedTable | None = None

    def host_snapshots(self) -> Mapping[str, HostSnapshot]:
        """The latest snapshot of every polled host."""
        raise NotImplementedError

    def wake_all(self) -> None:
        """Poll every source now."""
        raise NotImplementedError

    @property
    def action_running(self) -> bool:
        """True while an action worker has not finished."""
        busy = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == ACTIONS_GROUP and w.state in busy for w in self.app.workers)

    def _start(self, title: str, work: Callable[[], str | None]) -> None:
        if self.action_running:
            self.notify("an action is already running; wait for it to finish", severity="warning")
            return

        def run() -> None:
            try:
                output = work()
            except Exception as error:
                first = (str(error) or type(error).__name__).splitlines()[0][:200]
                self.post_message(
                    ActionProgressed(ProgressEvent(Phase.FAILED, title, "", None, first))
                )
                raise  # the app's worker handler turns it into a notification
            self.post_message(ActionFinished(title, output))

        self.app.run_worker(run, name=title, group=ACTIONS_GROUP, thread=True, exit_on_error=False)

    def action_run(self, action: str) -> None:
        """Run a core action (apply, plan, redeploy, ...) in a thread worker."""
        vip = (self.selected_vip or None) if action == "redeploy" else None
        if action == "redeploy" and vip is None:
            self.notify("this topology has no VIP to redeploy", severity="warning")
            return
        title = f"{action} {vip}" if action == "redeploy" else action

        def report(event: ProgressEvent) -> None:
            self.post_message(ActionProgressed(event))

        self._start(title, lambda: self.services.actions.run(action, report, vip))

    def action_teardown(self) -> None:
        """Ask, then tear down everything this topology created."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.action_run("teardown")

        question = (
            f"Tear down topology '{self.topology.name}'?\n"
            "Every container and network labelled with it is removed."
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    def _selected_container(self) -> tuple[str, str] | None:
        table = self.containers_table
        key = table.selected_key
        if key is None:
            self.notify("no container selected", severity="warning")
            return None
        row = table.all_rows.get(key)
        if row is not None and row[3] in ("planned", "unknown"):
            self.notify(f"{row[1]} does not exist yet (planned)", severity="warning")
            return None
        host, _, name = key.partition("/")
        return host, name

    def action_container(self, operation: str) -> None:
        """Stop, start or kill the selected container."""
        selected = self._selected_container()
        if selected is None:
            return
        host, name = selected
        control = self.services.control
        operations = {"stop": control.stop, "start": control.start, "kill": control.kill}

        def work() -> None:
            operations[operation](host, name)

        self._start(f"{operation} {name} on {host}", work)

    def action_traffic(self) -> None:
        """Start bounded load on the selected VIP, or stop the run going on."""
        vip = self.selected_vip
        source = self.services.traffic
        if not vip or source is None:
            self.notify("no traffic generator here", severity="warning")
            return
        run = self.traffic_runs.get(vip)
        if run is not None and run.tally().running:
            run.stop()
        else:
            run = self.traffic_runs[vip] = source.start(vip)
        self.vip_panels[vip].show_traffic(run.tally())

    def action_server(self, action: str) -> None:
        """Drain, disable, enable or re-weight the selected server of the selected VIP."""
        vip = self.selected_vip
        panel = self.vip_panels.get(vip)
        server = panel.selected_server if panel is not None else None
        control = self.services.servers
        if not vip or server is None or control is None:
            self.notify("select a VIP whose LB reports servers first", severity="warning")
            return

        def report(event: ProgressEvent) -> None:
            self.post_message(ActionProgressed(event))

        def run(weight: int | None) -> None:
            title = f"{action} {vip}/{server}"
            self._start(title, lambda: control.control(vip, server, action, weight, report))

        if action != "weight":
            run(None)
            return

        def answered(weight: int | None) -> None:
            if weight is not None:
                run(weight)

        self.app.push_screen(WeightScreen(vip, server), answered)

    def action_next_vip(self) -> None:
        """Select the next VIP."""
        names = list(self.topology.vips)
        if names:
            index = names.index(self.selected_vip) if self.selected_vip in names else -1
            self.selected_vip = names[(index + 1) % len(names)]

    def _table(self) -> KeyedTable | None:
        if isinstance(self.focused, KeyedTable):
            self._last_table = self.focused
        return self._last_table

    def action_filter(self) -> None:
        """Open the filter bar on the focused table."""
        table = self._table() or self.containers_table
        self.query_one(FilterBar).open_for(table)

    def action_toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_details(self) -> None:
        """Open the detail view of the selected row of the focused table."""
        table = self._table()
        key = table.selected_key if table is not None else None
        if table is None or key is None:
            self.notify("select a container, network or host first", severity="warning")
            return
        target: tuple[DetailKind, str, str] | None = None
        if table.id == "containers":
            selected = self._selected_container()
            target = None if selected is None else ("container", *selected)
        elif table.id == "hosts":
            target = ("host", key, key)
        elif table.id == "networks":
            target = self._network_target(key)
        if target is not None:
            kind, host, name = target
            control, retry = self.services.control, self.refresh_settings.retry_s
            self.app.push_screen(DetailScreen(control, kind, host, name, retry))

    def _network_target(self, key: str) -> tuple[DetailKind, str, str] | None:
        for snap in self.host_snapshots().values():
            for network in snap.networks:
                if key in (network.id, f"net/{network.name}"):
                    return ("network", snap.name, network.name)
        self.notify("this network does not exist yet (planned)", severity="warning")
        return None
