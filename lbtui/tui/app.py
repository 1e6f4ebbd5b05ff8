"""The Textual app: services in, the dashboard screen, global keys, one error handler."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.theme import BUILTIN_THEMES
from textual.worker import Worker, WorkerState

from lbtui.core.echo import shown
from lbtui.core.errors import BadInput, LbtuiError
from lbtui.core.topology.model import Topology
from lbtui.tui.data.messages import PollFailed
from lbtui.tui.data.services import Services
from lbtui.tui.keys import Command
from lbtui.tui.palette import DashboardCommands
from lbtui.tui.screens.dashboard import DashboardScreen
from lbtui.tui.screens.dashboard_actions import ACTIONS_GROUP
from lbtui.tui.screens.help import HelpScreen, binding_lines, key_text
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.themes import BUNDLED, ThemeSet, default_themes_dir, load_themes

DEFAULT_THEME = "dark"


class LbtuiApp(App[int]):
    """The lbtui dashboard."""

    CSS_PATH = "app.tcss"
    TITLE = "lbtui"
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+t", "next_theme", "Theme"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        topology: Topology,
        services: Services,
        theme_set: ThemeSet,
        theme_name: str,
        refresh: RefreshSettings,
    ) -> None:
        super().__init__()
        self.topology = topology
        self.services = services
        self.theme_set = theme_set
        self.refresh_settings = refresh
        for theme in theme_set.themes:
            self.register_theme(theme)
        self.theme = theme_name

    def on_mount(self) -> None:
        for problem in self.theme_set.problems:
            self.notify(problem, title="theme", severity="warning", timeout=10)
        for notice in self.services.notices:
            self.notify(notice, title="warning", severity="warning", timeout=15)
        self.push_screen(DashboardScreen(self.topology, self.services, self.refresh_settings))
        # Everything alive once the screen is up (Textual, widgets) lives as long as the app:
        # frozen, full collections no longer walk it, which took up to 60 ms of a big refresh.
        self.call_after_refresh(gc.freeze)

    def on_unmount(self) -> None:
        gc.unfreeze()  # what the app leaves in cycles can be collected again

    def action_help(self) -> None:
        """Show every key."""
        if isinstance(self.screen, HelpScreen):
            return
        commands = [(key_text(c.key), f"{c.title}: {c.help}") for c in Command]
        tables = [
            ("Tab", "next pane"),
            ("Up/Down", "move in the focused table"),
            ("Esc", "close a view, the diff, the filter or a dialog"),
        ]
        everywhere = [*binding_lines(self.BINDINGS), ("ctrl+p", "command palette: every command")]
        groups = [("Dashboard", commands), ("Navigation", tables), ("Everywhere", everywhere)]
        self.push_screen(HelpScreen(groups))

    def action_next_theme(self) -> None:
        """Switch to the next lbtui theme."""
        names = self.theme_set.names
        if names:
            index = names.index(self.theme) if self.theme in names else -1
            self.theme = names[(index + 1) % len(names)]
            self.notify(f"theme: {self.theme}", timeout=2)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        kind = "action failed" if event.worker.group == ACTIONS_GROUP else "failed"
        self._notify_failure(f"{event.worker.name or 'task'}: {kind}", event.worker.error)

    @on(PollFailed)
    def _poll_failed(self, event: PollFailed) -> None:
        self._notify_failure(f"{event.poller}: failed", event.error)

    def _notify_failure(self, title: str, error: BaseException) -> None:
        message = (
            str(error) if isinstance(error, LbtuiError) else f"{type(error).__name__}: {error}"
        )
        self.notify(shown(message, keep="\n"), title=title, severity="error", timeout=12)


def make_app(
    topology: Topology,
    services: Services,
    theme: str = DEFAULT_THEME,
    refresh: RefreshSettings | None = None,
    themes_dir: Path | None = None,
    themes: ThemeSet | None = None,
) -> LbtuiApp:
    """The app for a topology and its services; the CLI and the tests both build it here.

    `themes` is what the CLI discovered (bundled, the user's, `--theme-dir`); without it the
    themes of `themes_dir` alone, else the bundled ones, so tests never see a user's files.
    """
    if themes is not None:
        theme_set = themes
    elif themes_dir is not None:
        theme_set = load_themes(themes_dir)
    else:
        theme_set = load_themes(default_themes_dir(), BUNDLED)
    known = [*theme_set.names, *BUILTIN_THEMES]
    if theme not in known:
        choices = ", ".join(known) or "none loaded"
        problems = "\n".join(theme_set.problems)
        raise BadInput(f"unknown theme {theme!r}; available: {choices}\n{problems}".rstrip())
    return LbtuiApp(topology, services, theme_set, theme, refresh or RefreshSettings())
