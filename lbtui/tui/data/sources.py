"""Fetches the pollers run in their threads (a failure becomes an unreachable snapshot),
and the pump that follows a host's Docker events."""

from __future__ import annotations

from collections.abc import Callable

from textual.dom import DOMNode

from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.tui.data.messages import (
    DockerEventSeen,
    EventStreamLost,
    FaultsPolled,
    HostPolled,
    ServicesPolled,
    StatsPolled,
    TrafficPolled,
)
from lbtui.tui.data.pollers import StreamPump
from lbtui.tui.data.services import (
    DockerSource,
    FaultControl,
    StatsSource,
    SwarmControl,
    TrafficControl,
)
from lbtui.tui.data.stats_view import VipView


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def fetch_host(
    docker: DockerSource, name: str, url: str, clock: Callable[[], float]
) -> Callable[[], HostPolled]:
    """A fetch for one host's poller."""

    def fetch() -> HostPolled:
        try:
            snapshot = docker.snapshot_host(name)
        except Exception as error:  # shown in the hosts pane; the poller retries
            snapshot = HostSnapshot(
                name=name, url=url, reachable=False, polled_at=clock(), error=_reason(error)
            )
        return HostPolled(snapshot)

    return fetch


def fetch_stats(
    stats: StatsSource, vip: str, clock: Callable[[], float]
) -> Callable[[], StatsPolled]:
    """A fetch for one VIP's stats poller."""

    def fetch() -> StatsPolled:
        try:
            view = stats.poll(vip)
        except Exception as error:  # shown in the VIP pane; the poller retries
            view = VipView(vip=vip, reachable=False, polled_at=clock(), error=_reason(error))
        return StatsPolled(view)

    return fetch


def fetch_faults(faults: FaultControl) -> Callable[[], FaultsPolled]:
    """A fetch for the faults poller."""

    def fetch() -> FaultsPolled:
        try:
            return FaultsPolled(faults.active())
        except Exception as error:  # shown in the events; the poller retries
            return FaultsPolled((), _reason(error))

    return fetch


def fetch_services(swarm: SwarmControl, clock: Callable[[], float]) -> Callable[[], ServicesPolled]:
    """A fetch for the services poller."""

    def fetch() -> ServicesPolled:
        try:
            return ServicesPolled(swarm.statuses(), clock(), None)
        except Exception as error:  # shown in the services pane; the poller retries
            return ServicesPolled((), clock(), _reason(error))

    return fetch


def fetch_traffic(
    control: TrafficControl, vip: str, run: int, clock: Callable[[], float]
) -> Callable[[], TrafficPolled]:
    """A fetch for one VIP's traffic poller: the tally (its window merged off the UI thread)."""

    def fetch() -> TrafficPolled:
        # An in-memory copy under the generator's locks: it cannot fail the way I/O does.
        return TrafficPolled(vip, run, control.tally_or_empty(), clock())

    return fetch


def event_pump(docker: DockerSource, host: str, owner: DOMNode, retry_s: float) -> StreamPump:
    """Follows a host's Docker events into messages (`DockerEventSeen`, `EventStreamLost`)."""
    return StreamPump(
        f"events {host}",
        lambda: docker.events(host),
        lambda event: owner.post_message(DockerEventSeen(host, event)),
        lambda reason: owner.post_message(EventStreamLost(host, reason)),
        retry_s,
    )
