"""The timeline: Docker events of every host, HAProxy state changes and action progress."""

from __future__ import annotations

import time

from textual.widgets import Log

MAX_LINES = 2000


class EventLog(Log):
    """A timestamped, bounded log that follows the newest line."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, id=id)

    def add(self, at: float, source: str, text: str) -> None:
        """Append one event: `HH:MM:SS source text`."""
        stamp = time.strftime("%H:%M:%S", time.localtime(at))
        self.write_line(f"{stamp} {source:<9} {text}")
