"""The dashboard's commands: actions in thread workers, container control, modals, focus helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.worker import WorkerState

from lbtui.core.control.servers import ServerAction
from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.topology.model import Topology
from lbtui.tui.data.messages import ActionFinished, ActionProgressed, RedeployPlanned
from lbtui.tui.data.services import ContainerOp, RedeployPreview, Services, Task
from lbtui.tui.keys import Command, FaultOp, Runs, ScreenAction, ServiceOp, TrafficOp
from lbtui.tui.present.diff_text import diff_size
from lbtui.tui.screens.confirm import ConfirmScreen
from lbtui.tui.screens.dashboard_faults import FaultController
from lbtui.tui.screens.dashboard_layout import DashboardLayout
from lbtui.tui.screens.dashboard_services import ServiceController
from lbtui.tui.screens.dashboard_traffic import TrafficController
from lbtui.tui.screens.detail import DetailKind, DetailScreen
from lbtui.tui.screens.weight import WeightScreen
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.widgets.diff_view import DiffView
from lbtui.tui.widgets.keyed_table import KeyedTable
from lbtui.tui.widgets.pane import Pane
from lbtui.tui.widgets.vip_panel import VipPanel

ACTIONS_GROUP = "actions"


class DashboardActions(DashboardLayout):
    """Command handlers of the dashboard; the panes and pollers live in DashboardScreen."""

    topology: Topology
    services: Services
    hosts: dict[str, HostSnapshot]
    refresh_settings: RefreshSettings
    selected_vip: str
    containers_table: KeyedTable
    vip_panels: dict[str, VipPanel]
    diff_view: DiffView
    diff_pane: Pane
    faults: FaultController
    traffic: TrafficController
    swarm: ServiceController

    def wake_all(self) -> None:
        """Poll every source now."""
        raise NotImplementedError

    def log_event(self, source: str, text: str, at: float | None = None) -> None:
        """Add a line to the events pane."""
        raise NotImplementedError

    @property
    def action_running(self) -> bool:
        """True while an action worker has not finished."""
        busy = (WorkerState.PENDING, WorkerState.RUNNING)
        return any(w.group == ACTIONS_GROUP and w.state in busy for w in self.app.workers)

    def start_action(
        self, title: str, work: Callable[[], str | None], task: Task | None = None
    ) -> None:
        """Run `work` in a thread worker, one action at a time; its progress goes to the events."""
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
            self.post_message(ActionFinished(title, output, task))

        self.app.run_worker(run, name=title, group=ACTIONS_GROUP, thread=True, exit_on_error=False)

    def action_command(self, name: str) -> None:
        """A key: run the `Command` member called `name`."""
        self.run_command(Command[name])

    def run_command(self, command: Command) -> None:
        """Run a command (from its key or the palette) by what it runs."""
        runs = command.runs
        if runs is None:
            return
        runners: dict[type[Runs], Callable[[Any], None]] = {
            Task: self.run_task,
            ContainerOp: self.control_container,
            ServerAction: self.control_server,
            ScreenAction: self.run_screen_action,
            FaultOp: self.faults.run,
            TrafficOp: self.traffic.run,
            ServiceOp: self.swarm.run,
        }
        runners[type(runs)](runs)

    def run_screen_action(self, action: ScreenAction) -> None:
        """Commands the screen carries out itself."""
        handlers: dict[ScreenAction, Callable[[], None]] = {
            ScreenAction.TEARDOWN: self.ask_teardown,
            ScreenAction.NEXT_VIP: self.next_vip,
            ScreenAction.FILTER: self.open_filter,
            ScreenAction.MAXIMISE: self.toggle_maximise,
            ScreenAction.DETAILS: self.open_details,
        }
        handlers[action]()

    def run_task(self, task: Task) -> None:
        """Run a core task (apply, plan, redeploy, ...) in a thread worker."""
        vip = (self.selected_vip or None) if task.needs_vip else None
        if task.needs_vip and vip is None:
            self.notify(f"this topology has no VIP to {task.value}", severity="warning")
            return
        title = f"{task.value} {vip}" if vip else task.value

        def report(event: ProgressEvent) -> None:
            self.post_message(ActionProgressed(event))

        def show(preview: RedeployPreview) -> None:
            self.post_message(RedeployPlanned(preview))

        self.start_action(title, lambda: self.services.actions.run(task, report, vip, show), task)

    @on(ActionFinished)
    def _finished(self, message: ActionFinished) -> None:
        if message.output:
            for line in message.output.splitlines():
                self.log_event(message.action, line)
        self.notify(f"{message.action}: done", title="lbtui")
        if message.task is Task.REDEPLOY:
            self.traffic.mark(message.action)
        latest = self.services.actions.topology()
        if latest is not self.topology:
            self.follow_topology(latest)
        self.wake_all()

    @on(RedeployPlanned)
    def _show_plan(self, message: RedeployPlanned) -> None:
        """A redeploy (or a preview) planned: its diff in the diff pane, one line in the events."""
        preview = message.preview
        self.diff_view.preview = preview
        self.diff_pane.border_title = f"Redeploy diff: {preview.vip}  (Esc closes)"
        self.add_class("-diff")
        self.log_event("lbtui", f"plan of {preview.vip}: {diff_size(preview)}, in the diff pane")

    def ask_teardown(self) -> None:
        """Ask, then tear down everything this topology created."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_task(Task.TEARDOWN)

        question = (
            f"Tear down topology '{self.topology.name}'?\n"
            "Every container and network labelled with it is removed."
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    def selected_container(self) -> tuple[str, str] | None:
        """(host, name) of the selected container that exists; None with a warning otherwise."""
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

    def control_container(self, operation: ContainerOp) -> None:
        """Stop, start or kill the selected container."""
        selected = self.selected_container()
        if selected is None:
            return
        host, name = selected
        control = self.services.control
        operations = {
            ContainerOp.STOP: control.stop,
            ContainerOp.START: control.start,
            ContainerOp.KILL: control.kill,
        }

        def work() -> None:
            operations[operation](host, name)

        self.start_action(f"{operation.value} {name} on {host}", work)

    def control_server(self, action: ServerAction) -> None:
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
            title = f"{action.value} {vip}/{server}"
            self.start_action(title, lambda: control.control(vip, server, action, weight, report))

        if action is not ServerAction.WEIGHT:
            run(None)
            return

        def answered(weight: int | None) -> None:
            if weight is not None:
                run(weight)

        self.app.push_screen(WeightScreen(vip, server), answered)

    def open_details(self) -> None:
        """Open the detail view of the selected row of the focused table."""
        table = self.focused_table()
        key = table.selected_key if table is not None else None
        if table is None or key is None:
            self.notify("select a container, network or host first", severity="warning")
            return
        target: tuple[DetailKind, str, str] | None = None
        if table.id == "containers":
            selected = self.selected_container()
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
        for snap in self.hosts.values():
            for network in snap.networks:
                if key in (network.id, f"net/{network.name}"):
                    return ("network", snap.name, network.name)
        self.notify("this network does not exist yet (planned)", severity="warning")
        return None
