"""Reporting the lab's steps as progress events, from any thread, and counting changes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lbtui.core.progress import Phase, ProgressEvent, Reporter


class Steps:
    """A thread-safe front for a Reporter that remembers whether anything changed."""

    def __init__(self, report: Reporter) -> None:
        self._report = report
        self._lock = threading.Lock()
        self.changes = 0

    def emit(
        self, phase: Phase, step: str, target: str, host: str | None = None, detail: str = ""
    ) -> None:
        """Send one event."""
        with self._lock:
            if phase is Phase.DONE:
                self.changes += 1
            self._report(ProgressEvent(phase, step, target, host, detail))

    def skip(self, step: str, target: str, host: str | None = None, detail: str = "") -> None:
        """Say that a step had nothing to do."""
        self.emit(Phase.SKIPPED, step, target, host, detail)

    @contextmanager
    def step(
        self, step: str, target: str, host: str | None = None, detail: str = ""
    ) -> Iterator[None]:
        """Report a step as started, then done or failed."""
        self.emit(Phase.STARTED, step, target, host, detail)
        try:
            yield
        except BaseException as error:
            lines = str(error).splitlines()
            self.emit(Phase.FAILED, step, target, host, lines[0] if lines else type(error).__name__)
            raise
        self.emit(Phase.DONE, step, target, host, detail)
