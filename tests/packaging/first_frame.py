"""Run by an installed lbtui's Python: build the dashboard as `lbtui dashboard ARGS...` does,
render it headless until every host has been polled once, and write what it shows.

Usage: python first_frame.py OUT.json [dashboard arguments...]. Hosts may be
unreachable; the frame must render all the same.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import lbtui
from lbtui.cli import build_parser
from lbtui.commands.dashboard import build_dashboard
from lbtui.commands.samples import topology_file
from lbtui.tui.screens.dashboard import DashboardScreen

FIRST_POLL_S = 60.0


def _hosts_polled(screen: object) -> bool:
    if not isinstance(screen, DashboardScreen) or not screen.host_pollers:
        return False
    return all(poller.polls >= 1 for poller in screen.host_pollers.values())


async def first_frame(arguments: list[str]) -> dict[str, object]:
    """What the dashboard shows once every host poller has answered once."""
    args = build_parser().parse_args(["dashboard", *arguments])
    with topology_file(args.topology) as path:
        app, services = build_dashboard(args, path)
        try:
            async with app.run_test(size=(160, 48)) as pilot:
                deadline = time.monotonic() + FIRST_POLL_S
                while not _hosts_polled(app.screen) and time.monotonic() < deadline:
                    await pilot.pause(0.1)
                await pilot.pause()
                return {
                    "lbtui": lbtui.__file__,
                    "topology": str(path),
                    "theme": app.theme,
                    "screen": type(app.screen).__name__,
                    "hosts_polled": _hosts_polled(app.screen),
                    "svg": app.export_screenshot(),
                }
        finally:
            services.close()


if __name__ == "__main__":
    result = asyncio.run(first_frame(sys.argv[2:]))
    Path(sys.argv[1]).write_text(json.dumps(result), encoding="utf-8")
