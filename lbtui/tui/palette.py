"""The command palette (ctrl+p): every dashboard command, searchable by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lbtui.tui.keys import COMMANDS


class DashboardCommands(Provider):
    """Offers the dashboard's commands; each runs exactly what its key runs."""

    def _entries(self) -> list[tuple[str, str, str]]:
        key_names = {"slash": "/"}
        return [
            (f"{c.title}  ({key_names.get(c.key, c.key)})", c.help, c.action)
            for c in COMMANDS
            if c.action
        ]

    async def discover(self) -> Hits:
        for title, help_text, action in self._entries():
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._entries():
            score = matcher.match(title)
            if score > 0:
                command = partial(self.screen.run_action, action)
                yield Hit(score, matcher.highlight(title), command, help=help_text)
