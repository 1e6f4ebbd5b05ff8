"""Progress events: how long-running steps tell whoever is watching what they do."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    """Where a step is in its life."""

    STARTED = "started"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class ProgressEvent:
    """One step's change of phase: what, where, and a human-readable detail."""

    phase: Phase
    step: str
    target: str
    host: str | None = None
    detail: str = ""
    at: float = field(default_factory=time.time)

    def describe(self) -> str:
        """One line for a log or a terminal."""
        where = f" on {self.host}" if self.host else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.phase.value:<7} {self.step} {self.target}{where}{detail}"


Reporter = Callable[[ProgressEvent], None]


def ignore_progress(event: ProgressEvent) -> None:
    """A reporter for callers that do not watch progress."""
