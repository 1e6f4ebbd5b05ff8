"""Every dashboard command in one table: its key, its palette title and what it does.

The screen's bindings, the command palette and the help screen are all built
from this table, so a command cannot exist in one place and be missing in another.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Command:
    """One dashboard command."""

    key: str
    action: str
    title: str
    help: str
    footer: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("a", "run('apply')", "Apply all", "overlay, backends, LB and bridge, in order", True),
    Command("o", "run('overlay')", "Create overlay", "swarm mode and the overlay network"),
    Command("b", "run('backends')", "Launch backends", "run every backend on its host"),
    Command("l", "run('lb')", "Deploy LB", "validate haproxy.cfg, then run the LB container"),
    Command("c", "run('bridge')", "Connect bridge", "connect the LB to the bridge network"),
    Command("p", "run('plan')", "Plan", "show what apply would change, change nothing", True),
    Command("r", "run('redeploy')", "Redeploy VIP", "re-read the topology, reload the VIP", True),
    Command("s", "container('stop')", "Stop container", "stop the selected container"),
    Command("u", "container('start')", "Start container", "start the selected container"),
    Command("k", "container('kill')", "Kill container", "kill the selected container", True),
    Command("x", "teardown", "Teardown", "remove everything of this topology (asks first)"),
    Command(
        "t", "traffic", "Traffic", "start/stop bounded load on the VIP; who served shows live", True
    ),
    Command("d", "server('drain')", "Drain server", "selected server of the VIP: no new sessions"),
    Command("i", "server('disable')", "Disable server", "selected server: maintenance, no traffic"),
    Command("e", "server('enable')", "Enable server", "selected server: ready again"),
    Command("w", "server('weight')", "Server weight", "set the selected server's weight (0-256)"),
    Command("v", "next_vip", "Next VIP", "select the next VIP (stats and path view)"),
    Command("up,down", "", "Select server", "in a focused VIP panel: move the server cursor"),
    Command("slash", "filter", "Filter table", "narrow the focused table; empty shows all", True),
    Command("m", "toggle_maximize", "Maximise pane", "maximise or restore the focused pane", True),
    Command("enter", "details", "Details", "inspect/logs of the selected container, network, host"),
)


def bindings() -> list[BindingType]:
    """The dashboard screen's bindings, from COMMANDS."""
    return [
        Binding(c.key, c.action, c.title, show=c.footer)
        for c in COMMANDS
        if c.action != "details" and c.action
    ]
