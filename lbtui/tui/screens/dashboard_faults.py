"""The dashboard's faults: the form, add and clear in thread workers, the poller, marks, effects.

A plain object the dashboard screen owns (the screen forwards the two fault messages
to it), so the screen module does not grow with every capability.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lbtui.core.echo import shown
from lbtui.core.faults.model import HOST_PREFIX, ActiveFault, FaultKind, FaultRequest
from lbtui.core.faults.targets import topology_containers
from lbtui.core.progress import ProgressEvent
from lbtui.core.topology.limits import server_name, slot_service
from lbtui.tui.data.messages import ActionProgressed, FaultsChanged, FaultsPolled
from lbtui.tui.data.pollers import Poller
from lbtui.tui.data.services import FaultControl
from lbtui.tui.data.sources import fetch_faults
from lbtui.tui.data.stats_view import VipView
from lbtui.tui.keys import FaultOp
from lbtui.tui.present.fault_effects import Expected, FaultEffects
from lbtui.tui.present.fault_text import (
    fault_label,
    fault_marks,
    fault_servers,
    pool_backends,
    server_marks,
)
from lbtui.tui.screens.fault_form import FaultScreen
from lbtui.tui.widgets.vip_panel import VipPanel

if TYPE_CHECKING:
    from lbtui.tui.screens.dashboard import DashboardScreen

#: Reading faults back opens every topology container's namespace: not more often than this
#: while a fault is active (the poller is also woken right after the dashboard adds or clears
#: one, and by a pause or a network change that Docker reports)...
FAULTS_POLL_S = 5.0
#: ... and less often when none is: then the poll only looks for faults another process
#: (`lbtui fault add` in another terminal) made without a Docker event (loss, rate, down).
FAULTS_IDLE_POLL_S = 30.0
#: Docker events that may be a fault added or cleared elsewhere.
FAULT_EVENTS = frozenset({"pause", "unpause", "connect", "disconnect"})
CONTAINER_KINDS = tuple(kind for kind in FaultKind if kind is not FaultKind.DOWN)
HOST_KINDS = (FaultKind.DOWN,)


@dataclass(frozen=True)
class FaultTarget:
    """What the selection names for the core (`web2`, `host:docker3`), and the kinds it takes."""

    name: str
    where: str
    kinds: tuple[FaultKind, ...]


def effect_name(request: FaultRequest) -> str:
    """How the events name an added fault: `pause`, `loss 30 %`, `host docker3 down`."""
    host = request.host_target
    return f"host {host} down" if host is not None else fault_label(request)


class FaultController:
    """Fault commands on the selection, and the active faults as the engines report them."""

    def __init__(self, screen: DashboardScreen) -> None:
        self.screen = screen
        self.active: tuple[ActiveFault, ...] = ()
        """The faults of the last successful read-back."""
        self.marks: dict[tuple[str, str], str] = {}
        """(host, container) -> its faults, as the panes show them."""
        self.effects = FaultEffects()
        self.poller: Poller | None = None
        self._error: str | None = None

    def start(self) -> None:
        """Read faults back now, then every FAULTS_POLL_S (only where faults can be injected)."""
        faults = self.screen.services.faults
        if faults is not None:
            self.poller = Poller(self.screen, "poll faults", fetch_faults(faults), FAULTS_POLL_S)
            self.poller.start()

    def stop(self) -> None:
        """Poll no more."""
        if self.poller is not None:
            self.poller.stop()

    def docker_event(self, action: str) -> None:
        """A Docker event: read faults back now if it may be one added or cleared elsewhere."""
        if self.poller is not None and action in FAULT_EVENTS:
            self.poller.wake()

    @property
    def pollers(self) -> list[Poller]:
        """The faults poller, if faults can be injected here."""
        return [] if self.poller is None else [self.poller]

    def handle(self, message: FaultsPolled | FaultsChanged) -> None:
        """The screen's fault messages: a read-back, or an add or clear done here."""
        if isinstance(message, FaultsPolled):
            self.polled(message)
        else:
            self.changed(message)

    def run(self, op: FaultOp) -> None:
        """A fault command, from its key or the palette."""
        handlers: dict[FaultOp, Callable[[], None]] = {
            FaultOp.ADD: self.ask_fault,
            FaultOp.CLEAR: self.clear_selected,
            FaultOp.CLEAR_ALL: lambda: self.clear(None),
        }
        handlers[op]()

    def _service(self) -> FaultControl | None:
        faults = self.screen.services.faults
        if faults is None:
            self.screen.notify("no fault injection here", severity="warning")
        return faults

    def selected_target(self) -> FaultTarget | None:
        """The focused VIP panel's server, the hosts pane's host, else the selected container."""
        screen = self.screen
        if isinstance(screen.focused, VipPanel):
            return self._server_target(screen.focused.vip, screen.focused.selected_server)
        table = screen.focused_table() or screen.containers_table
        if table is screen.traffic.table:  # the traffic view's rows are the VIP's servers
            return self._server_target(screen.selected_vip, table.selected_key)
        if table.id == "hosts" and table.selected_key is not None:
            host = table.selected_key
            return FaultTarget(f"{HOST_PREFIX}{host}", f"host {host}", HOST_KINDS)
        if table.id != "containers":
            screen.notify("select a container, a VIP's server or a host first", severity="warning")
            return None
        selected = screen.selected_container()
        if selected is None:
            return None
        host, name = selected
        if not any((p.host, p.name) == selected for p in topology_containers(screen.topology)):
            screen.notify(
                f"{name} is not part of topology {screen.topology.name}: faults act on its "
                "backends, LB containers and hosts",
                severity="warning",
            )
            return None
        return FaultTarget(name, f"{name} on {host}", CONTAINER_KINDS)

    def _server_target(self, vip: str, server: str | None) -> FaultTarget | None:
        topology = self.screen.topology
        backends = pool_backends(topology, topology.vips[vip]) if vip in topology.vips else []
        backend = next((b for b in backends if server_name(b.name) == server), None)
        if backend is None:
            service = slot_service(server or "")
            why = (
                f"{server} is a slot of service {service}: faults act on backends, LBs and hosts"
                if service in topology.services
                else "select a server the topology declares first"
            )
            self.screen.notify(why, severity="warning")
            return None
        return FaultTarget(backend.name, f"{backend.name} on {backend.host}", CONTAINER_KINDS)

    def _report(self, event: ProgressEvent) -> None:
        self.screen.post_message(ActionProgressed(event))

    def ask_fault(self) -> None:
        """Ask which fault (the form), then inject it into the selection."""
        target = self.selected_target()
        service = self._service()
        if target is None or service is None:
            return

        def answered(request: FaultRequest | None) -> None:
            if request is not None:
                self.add(service, request)

        self.screen.app.push_screen(FaultScreen(target.name, target.where, target.kinds), answered)

    def add(self, service: FaultControl, request: FaultRequest) -> None:
        """Inject a checked fault in a thread worker."""
        screen = self.screen
        what = effect_name(request)

        def work() -> None:
            faults = service.add(request, self._report)
            screen.post_message(FaultsChanged(what, True, faults, screen.services.clock()))

        screen.start_action(f"fault {request.target} {fault_label(request)}", work)

    def clear_selected(self) -> None:
        """Clear the faults of the selection."""
        target = self.selected_target()
        if target is not None:
            self.clear(target.name)

    def clear(self, target: str | None) -> None:
        """Clear the target's faults (every fault when None) in a thread worker."""
        service = self._service()
        if service is None:
            return
        screen = self.screen

        def work() -> str | None:
            cleared = service.clear(target, self._report)
            screen.post_message(FaultsChanged("clear", False, cleared, screen.services.clock()))
            if cleared:
                return None  # the core's progress already named each one
            return f"no active fault on {target}" if target else "no active fault to clear"

        screen.start_action(f"clear faults of {target}" if target else "clear all faults", work)

    def changed(self, message: FaultsChanged) -> None:
        """Faults added or cleared here: wait for their effect, read them back now."""
        servers = fault_servers(self.screen.topology, message.faults)
        expect: Expected = "-down" if message.added else "-up"
        traffic = self.screen.traffic
        counts = {vip: traffic.count(vip) for vip in traffic.running_vips()}
        running = {vip: count for vip, count in counts.items() if count is not None}
        self.effects.acted(servers, message.what, expect, message.at, running)
        if message.faults:
            targets = ", ".join(sorted({fault.target for fault in message.faults}))
            traffic.mark(f"{message.what} {targets}")
        if self.poller is not None:
            self.poller.wake()

    def stats_effects(self, before: VipView | None, view: VipView) -> list[str]:
        """Event lines for the status changes of this poll that a fault action explains."""
        return self.effects.effects(before, view, self.screen.traffic.count(view.vip))

    def polled(self, message: FaultsPolled) -> None:
        """The faults were read back: log what appeared or went, repaint the marks."""
        screen = self.screen
        poller = self.poller
        if message.error is not None:
            if self._error is None:
                reason = shown(message.error.splitlines()[0], limit=200)
                screen.log_event("faults", f"active faults unreadable: {reason} (retrying)")
            self._error = message.error
            if poller is not None:
                poller.finished()  # a read-back is costly: no faster retries than the polls
            return
        if self._error is not None:
            screen.log_event("faults", "active faults readable again")
            self._error = None
        self._log_changes(message.faults)
        if message.faults != self.active:  # made elsewhere, maybe: their effect is coming
            screen.stats_pacing.stir(time.monotonic())
        self.active = message.faults
        marks = fault_marks(message.faults)
        if marks != self.marks:
            self.marks = marks
            screen.repaint_docker()
        for vip, panel in screen.vip_panels.items():
            if vip in screen.topology.vips:
                panel.show_faults(server_marks(screen.topology, vip, marks))
        if poller is not None:
            poller.finished(FAULTS_POLL_S if message.faults else FAULTS_IDLE_POLL_S)

    def _log_changes(self, faults: tuple[ActiveFault, ...]) -> None:
        def keyed(found: tuple[ActiveFault, ...]) -> dict[tuple[str, str, str], ActiveFault]:
            return {(f.target, fault_label(f), f.host): f for f in found}

        before, after = keyed(self.active), keyed(faults)
        now = self.screen.services.clock()
        for key in sorted(after.keys() - before.keys()):
            self.screen.log_event("faults", f"active: {after[key].describe(now)}")
        for target, label, host in sorted(before.keys() - after.keys()):
            self.screen.log_event("faults", f"gone: {target} {label} ({host})")
