"""App-wide messages, named for what happened; pollers post them from their threads."""

from __future__ import annotations

from textual.message import Message

from lbtui.core.docker.hosts import HostEvent
from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.progress import ProgressEvent
from lbtui.tui.data.services import RedeployPreview
from lbtui.tui.data.stats_view import VipView


class HostPolled(Message):
    """A Docker host was polled (reachable or not)."""

    def __init__(self, snapshot: HostSnapshot) -> None:
        self.snapshot = snapshot
        super().__init__()


class DockerEventSeen(Message):
    """A Docker host streamed an event."""

    def __init__(self, host: str, event: HostEvent) -> None:
        self.host = host
        self.event = event
        super().__init__()


class EventStreamLost(Message):
    """A host's event stream ended or failed; it will be reopened."""

    def __init__(self, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__()


class StatsPolled(Message):
    """A VIP's HAProxy stats were polled (reachable or not)."""

    def __init__(self, view: VipView) -> None:
        self.view = view
        super().__init__()


class ActionProgressed(Message):
    """A running action reported a step's progress."""

    def __init__(self, event: ProgressEvent) -> None:
        self.event = event
        super().__init__()


class ActionFinished(Message):
    """An action completed; `output` is text to show (a plan), if any."""

    def __init__(self, action: str, output: str | None) -> None:
        self.action = action
        self.output = output
        super().__init__()


class RedeployPlanned(Message):
    """A redeploy or a preview planned a VIP's change; shown before anything changes."""

    def __init__(self, preview: RedeployPreview) -> None:
        self.preview = preview
        super().__init__()
