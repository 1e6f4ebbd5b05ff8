"""How often the dashboard refreshes each source."""

from __future__ import annotations

from dataclasses import dataclass

from lbtui.core.errors import BadInput


@dataclass(frozen=True)
class RefreshSettings:
    """Intervals in seconds: stats polls, the Docker safety poll, retries of a down source."""

    stats_s: float = 1.0
    docker_s: float = 15.0
    """Docker state is refreshed on every event; this slow poll only catches missed ones."""
    retry_s: float = 3.0

    def __post_init__(self) -> None:
        for name in ("stats_s", "docker_s", "retry_s"):
            value = getattr(self, name)
            if not 0.1 <= value <= 3600:
                raise BadInput(f"refresh interval {name}={value}: must be 0.1 .. 3600 seconds")
