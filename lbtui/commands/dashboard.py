"""`lbtui [TOPOLOGY] [--theme NAME] [--refresh S]`: the dashboard on a topology's hosts."""

from __future__ import annotations

import argparse
from pathlib import Path

from lbtui.core.errors import BadInput
from lbtui.core.topology.load import load_topology

DEFAULT_TOPOLOGY = (
    Path(__file__).resolve().parent.parent.parent / "sample_topologies" / ("presentation.yaml")
)


def add_dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    """The dashboard's arguments: an optional topology file, theme and refresh intervals."""
    parser.add_argument(
        "topology",
        nargs="?",
        type=Path,
        default=None,
        metavar="TOPOLOGY",
        help=f"topology file (default: the reference topology on the lab, {DEFAULT_TOPOLOGY})",
    )
    parser.add_argument("--theme", default="dark", help="theme name (files in themes/)")
    parser.add_argument(
        "--refresh",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds between HAProxy stats polls (default 1)",
    )
    parser.add_argument(
        "--docker-refresh",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds between safety polls of Docker state; events refresh it at once (default 15)",
    )
    parser.set_defaults(handler=run_dashboard)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the explicit `dashboard` verb (the same as giving no verb)."""
    parser = subparsers.add_parser("dashboard", help="the live dashboard (also: lbtui [TOPOLOGY])")
    add_dashboard_arguments(parser)


def run_dashboard(args: argparse.Namespace) -> int:
    """Validate everything, build the services, run the app; its exit code."""
    # Imported here: the headless verbs must not pay for importing Textual.
    from lbtui.tui.app import make_app
    from lbtui.tui.data.live import live_services
    from lbtui.tui.settings import RefreshSettings

    path: Path = args.topology or DEFAULT_TOPOLOGY
    if not path.is_file():
        raise BadInput(f"topology file {path} not found")
    topology = load_topology(path)
    refresh = RefreshSettings(stats_s=args.refresh, docker_s=args.docker_refresh)
    services = live_services(topology)
    try:
        app = make_app(topology, services, theme=args.theme, refresh=refresh)
        result = app.run()
    finally:
        services.close()
    return result if isinstance(result, int) else 0
