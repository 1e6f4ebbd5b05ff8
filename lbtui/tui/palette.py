"""The command palette (ctrl+p): every dashboard command, searchable by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lbtui.tui.keys import Command
from lbtui.tui.screens.dashboard_actions import DashboardActions
from lbtui.tui.screens.help import key_text


def palette_title(command: Command) -> str:
    """`Plan  (p)`: the title and the key that does the same."""
    return f"{command.title}  ({key_text(command.key)})"


class DashboardCommands(Provider):
    """Offers the dashboard's commands; each runs exactly what its key runs."""

    def _entries(self) -> list[tuple[str, str, Callable[[], None]]]:
        screen = self.screen
        if not isinstance(screen, DashboardActions):
            return []
        return [
            (palette_title(c), c.help, partial(screen.run_command, c))
            for c in Command
            if c.in_palette
        ]

    async def discover(self) -> Hits:
        for title, help_text, run in self._entries():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
