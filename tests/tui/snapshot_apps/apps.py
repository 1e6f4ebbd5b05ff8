"""The apps the snapshot tests photograph: the real app over the fake gateway, frozen clock."""

from __future__ import annotations

from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.settings import RefreshSettings
from tests.tui.snapshot_apps.fake import fake_services, reference_topology

#: Long intervals: after the first poll nothing changes while the picture is taken.
FROZEN_REFRESH = RefreshSettings(stats_s=3600, docker_s=3600, retry_s=3600)


def build_app(theme: str = "dark", hosts: dict[str, HostSnapshot] | None = None) -> LbtuiApp:
    """The dashboard on the reference topology, fed by the fake gateway."""
    return make_app(reference_topology(), fake_services(hosts), theme=theme, refresh=FROZEN_REFRESH)
