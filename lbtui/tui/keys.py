"""Every dashboard command as one enumeration: its key, palette title, help and what it runs.

The screen's bindings, the command palette, the help screen and the dispatch are
all built from `Command`, so a command cannot exist in one place and be missing in
another, and nothing matches action names as strings.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from textual.binding import Binding, BindingType

from lbtui.core.control.servers import ServerAction
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX
from lbtui.tui.data.services import ContainerOp, Task


class ScreenAction(StrEnum):
    """Commands the dashboard screen carries out itself (no core action, or a question first)."""

    TEARDOWN = "teardown"
    NEXT_VIP = "next_vip"
    FILTER = "filter"
    MAXIMISE = "maximise"
    DETAILS = "details"


class FaultOp(StrEnum):
    """Fault commands: on the selected container, server or host, or on the whole topology."""

    ADD = "fault"
    """A form asks which fault (and its parameter) first."""
    CLEAR = "clear fault"
    CLEAR_ALL = "clear all faults"


class TrafficOp(StrEnum):
    """Continuous traffic on the selected VIP, and the view of its per-server figures."""

    TOGGLE = "traffic"
    FASTER = "faster"
    SLOWER = "slower"
    MODE = "connections"
    VIEW = "traffic view"


class ServiceOp(StrEnum):
    """Scaling the selected swarm service by one task (within 1..SERVICE_REPLICAS_MAX)."""

    SCALE_UP = "scale up"
    SCALE_DOWN = "scale down"

    @property
    def step(self) -> int:
        """The change of the replica count."""
        return 1 if self is ServiceOp.SCALE_UP else -1


Runs = Task | ContainerOp | ServerAction | ScreenAction | FaultOp | TrafficOp | ServiceOp
"""What a command runs: a core task, a container, server, fault, traffic or service
operation, or a screen action."""


class Command(Enum):
    """One dashboard command per member; its value is (key, title, help, runs, footer)."""

    APPLY = ("a", "Apply all", "overlay, backends, LB and bridge, in order", Task.APPLY, True)
    OVERLAY = ("o", "Create overlay", "swarm mode and the overlay network", Task.OVERLAY)
    BACKENDS = ("b", "Launch backends", "run every backend on its host", Task.BACKENDS)
    LB = ("l", "Deploy LB", "validate haproxy.cfg, then run the LB container", Task.LB)
    BRIDGE = ("c", "Connect bridge", "connect the LB to the bridge network", Task.BRIDGE)
    PLAN = ("p", "Plan", "show what apply would change, change nothing", Task.PLAN, True)
    REDEPLOY = (
        "r",
        "Redeploy VIP",
        "re-read the file, show the diff, reload the VIP",
        Task.REDEPLOY,
        True,
    )
    PREVIEW = (
        "D",
        "Preview redeploy",
        "show the VIP's redeploy diff, change nothing",
        Task.PREVIEW,
    )
    STOP = ("s", "Stop container", "stop the selected container", ContainerOp.STOP)
    START = ("u", "Start container", "start the selected container", ContainerOp.START)
    KILL = ("k", "Kill container", "kill the selected container", ContainerOp.KILL, True)
    TEARDOWN = (
        "x",
        "Teardown",
        "remove everything of this topology (asks first)",
        ScreenAction.TEARDOWN,
    )
    TRAFFIC = (
        "t",
        "Traffic",
        "start/stop load on the VIP (stops by itself in 10 min)",
        TrafficOp.TOGGLE,
        True,
    )
    SLOWER = (
        "left_square_bracket",
        "Slower traffic",
        "traffic rate one step down (1..1000 req/s)",
        TrafficOp.SLOWER,
    )
    FASTER = (
        "right_square_bracket",
        "Faster traffic",
        "traffic rate one step up (1..1000 req/s)",
        TrafficOp.FASTER,
    )
    TRAFFIC_MODE = (
        "n",
        "Traffic connections",
        "switch between fresh and keep-alive",
        TrafficOp.MODE,
    )
    TRAFFIC_VIEW = (
        "g",
        "Traffic view",
        "the VIP's per-server figures and latency chart",
        TrafficOp.VIEW,
    )
    SCALE_UP = (
        "plus",
        "Scale up",
        f"selected service: one task more (at most {SERVICE_REPLICAS_MAX})",
        ServiceOp.SCALE_UP,
    )
    SCALE_DOWN = (
        "minus",
        "Scale down",
        "selected service: one task less, drained first",
        ServiceOp.SCALE_DOWN,
    )
    DRAIN = (
        "d",
        "Drain server",
        "selected server of the VIP: no new sessions",
        ServerAction.DRAIN,
    )
    DISABLE = (
        "i",
        "Disable server",
        "selected server: maintenance, no traffic",
        ServerAction.DISABLE,
    )
    ENABLE = ("e", "Enable server", "selected server: ready again", ServerAction.ENABLE)
    WEIGHT = (
        "w",
        "Server weight",
        "set the selected server's weight (0-256)",
        ServerAction.WEIGHT,
    )
    FAULT = (
        "f",
        "Fault",
        "inject a fault in the selected container, server or host",
        FaultOp.ADD,
        True,
    )
    CLEAR_FAULT = (
        "F",
        "Clear fault",
        "clear the faults of the selection",
        FaultOp.CLEAR,
    )
    CLEAR_FAULTS = (
        "ctrl+f",
        "Clear all faults",
        "clear every fault of this topology",
        FaultOp.CLEAR_ALL,
    )
    NEXT_VIP = ("v", "Next VIP", "select the next VIP (stats and path view)", ScreenAction.NEXT_VIP)
    SELECT_SERVER = ("up,down", "Select server", "in a focused VIP panel: move the server cursor")
    FILTER = (
        "slash",
        "Filter table",
        "narrow the focused table; empty shows all",
        ScreenAction.FILTER,
        True,
    )
    MAXIMISE = (
        "m",
        "Maximise pane",
        "maximise or restore the focused pane",
        ScreenAction.MAXIMISE,
        True,
    )
    DETAILS = (
        "enter",
        "Details",
        "inspect/logs of the selected container, network, host",
        ScreenAction.DETAILS,
    )

    def __init__(
        self, key: str, title: str, help: str, runs: Runs | None = None, footer: bool = False
    ) -> None:
        self.key = key
        self.title = title
        self.help = help
        self.runs = runs
        """None: the key belongs to a widget (the VIP panel's cursor); listed in help only."""
        self.footer = footer

    @property
    def action(self) -> str:
        """The Textual action that runs this command (the screen's `action_command`)."""
        return f"command({self.name!r})"

    @property
    def in_palette(self) -> bool:
        """False for keys that only mean something inside a widget."""
        return self.runs is not None

    @property
    def bound_on_screen(self) -> bool:
        """Enter is the tables' own key (RowSelected opens the details), not a screen binding."""
        return self.runs is not None and self.runs is not ScreenAction.DETAILS


COMMANDS: tuple[Command, ...] = tuple(Command)


def bindings() -> list[BindingType]:
    """The dashboard screen's bindings, from Command."""
    return [Binding(c.key, c.action, c.title, show=c.footer) for c in Command if c.bound_on_screen]
