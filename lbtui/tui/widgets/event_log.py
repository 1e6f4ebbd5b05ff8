"""The timeline: Docker events of every host, HAProxy state changes and action progress."""

from __future__ import annotations

import time

from textual.widgets import Log

MAX_LINES = 2000


class EventLog(Log):
    """A timestamped, bounded log that follows the newest line until the user scrolls up.

    `Log` alone decides to follow by comparing the scroll offset with the end at each
    write; once the pane got shorter (the panes above grew during a redeploy) the offset
    was no longer at the end and the log stopped following for good. Anchored, the
    layout keeps it at the end through resizes; scrolling up releases the anchor (the
    user is reading) and scrolling back to the end restores it, as a log viewer does.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, id=id)

    def on_mount(self) -> None:
        self.anchor()

    def add(self, at: float, source: str, text: str) -> None:
        """Append one event: `HH:MM:SS source text`."""
        stamp = time.strftime("%H:%M:%S", time.localtime(at))
        self.write_line(f"{stamp} {source:<9} {text}")
