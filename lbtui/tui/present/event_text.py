"""Turns raw Docker events and stats changes into one-line timeline entries (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping

from lbtui.core.docker.hosts import HostEvent
from lbtui.tui.data.stats_view import VipView

#: Docker event types that change what the panes show; others are logged only.
STATE_CHANGING_TYPES = frozenset({"container", "network", "node", "service"})


def describe_docker_event(event: HostEvent) -> str | None:
    """`container die web2 (exit 137)`; None for noise (health-check execs)."""
    # Health checks and `haproxy -c` run as execs every few seconds: they would drown the log.
    if event.action.startswith(("exec_create", "exec_start", "exec_die")):
        return None
    attributes = event.attributes
    name = attributes.get("name") or event.actor_id[:12]
    extra = ""
    if "exitCode" in attributes:
        extra = f" (exit {attributes['exitCode']})"
    elif event.type == "network" and "container" in attributes:
        extra = f" (container {attributes['container'][:12]})"
    return f"{event.type} {event.action} {name}{extra}"


def server_changes(vip: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """HAProxy server status changes between two polls, e.g. `presentation/web2 UP -> DOWN`."""
    lines = []
    for name, status in after.items():
        old = before.get(name)
        if old is None:
            lines.append(f"{vip}/{name} appeared: {status}")
        elif old != status:
            lines.append(f"{vip}/{name} {old} -> {status}")
    lines.extend(f"{vip}/{name} left the pool" for name in before if name not in after)
    return lines


def stats_events(before: VipView | None, view: VipView) -> list[str]:
    """What changed between two polls of a VIP: server statuses, or the stats' reachability."""
    if not view.reachable:
        return (
            []
            if before is not None and not before.reachable
            else [f"{view.vip} stats UNREACHABLE: {view.error}"]
        )
    if before is not None and not before.reachable:
        return [f"{view.vip} stats reachable again"]
    old = {s.name: s.status for s in before.servers} if before is not None else {}
    return server_changes(view.vip, old, {s.name: s.status for s in view.servers})
