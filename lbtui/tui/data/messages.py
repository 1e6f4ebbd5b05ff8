"""App-wide messages, named for what happened; pollers post them from their threads."""

from __future__ import annotations

from textual.message import Message

from lbtui.core.docker.hosts import HostEvent
from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.faults.model import ActiveFault
from lbtui.core.progress import ProgressEvent
from lbtui.core.services.status import ServiceStatus
from lbtui.core.traffic.tally import TrafficTally
from lbtui.tui.data.services import RedeployPreview, Task, TrafficControl
from lbtui.tui.data.stats_view import VipView


class PollFailed(Message):
    """A poller's fetch raised instead of posting its snapshot; the poller goes on."""

    def __init__(self, poller: str, error: BaseException) -> None:
        self.poller = poller
        self.error = error
        super().__init__()


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

    def __init__(self, action: str, output: str | None, task: Task | None = None) -> None:
        self.action = action
        self.output = output
        self.task = task
        """The core task that finished, if it was one (a redeploy marks the latency chart)."""
        super().__init__()


class RedeployPlanned(Message):
    """A redeploy or a preview planned a VIP's change; shown before anything changes."""

    def __init__(self, preview: RedeployPreview) -> None:
        self.preview = preview
        super().__init__()


class FaultsPolled(Message):
    """The active faults were read back from the engines; `error` says why they could not be."""

    def __init__(self, faults: tuple[ActiveFault, ...], error: str | None = None) -> None:
        self.faults = faults
        self.error = error
        super().__init__()


class FaultsChanged(Message):
    """The dashboard added or cleared faults; `at` is when the core call returned."""

    def __init__(self, what: str, added: bool, faults: tuple[ActiveFault, ...], at: float) -> None:
        self.what = what
        """`pause`, `loss 30 %`, `host down` for an add; `clear` for a clear."""
        self.added = added
        self.faults = faults
        """The faults added, or those cleared, as the core read them back."""
        self.at = at
        super().__init__()


class TrafficChanged(Message):
    """A VIP's continuous traffic was started, stopped, or changed rate or mode."""

    def __init__(self, vip: str, traffic: TrafficControl, started: bool, what: str) -> None:
        self.vip = vip
        self.traffic = traffic
        """The VIP's control, for its poller (the message carries no state of its own)."""
        self.started = started
        """True when this call started a new run."""
        self.what = what
        """What changed, as one line: `started at 20 req/s fresh`, `rate 50 req/s`."""
        super().__init__()


class TrafficPolled(Message):
    """A VIP's traffic tally was read (in a worker); `at` is the wall-clock time of the read."""

    def __init__(self, vip: str, run: int, tally: TrafficTally, at: float) -> None:
        self.vip = vip
        self.run = run
        """Which run of the dashboard's this is (a late poll of an earlier run is dropped)."""
        self.tally = tally
        self.at = at
        super().__init__()


class ServicesPolled(Message):
    """The swarm services were read from the manager; `error` says why they could not be."""

    def __init__(self, statuses: tuple[ServiceStatus, ...], at: float, error: str | None) -> None:
        self.statuses = statuses
        self.at = at
        self.error = error
        super().__init__()


class ServiceScaled(Message):
    """The dashboard scaled a service; the core returned with `replicas` tasks running."""

    def __init__(self, service: str, replicas: int) -> None:
        self.service = service
        self.replicas = replicas
        super().__init__()
