"""`lbtui [TOPOLOGY] [--theme NAME] [--theme-dir DIR] [--refresh S]`: the dashboard."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lbtui.commands.samples import topology_file
from lbtui.core.errors import BadInput
from lbtui.core.topology.load import load_topology
from lbtui.resources import REFERENCE_TOPOLOGY

if TYPE_CHECKING:
    from lbtui.tui.app import LbtuiApp
    from lbtui.tui.data.services import Services

THEMES_HELP = (
    "themes: the bundled ones, then $XDG_CONFIG_HOME/lbtui/themes (default "
    "~/.config/lbtui/themes), then --theme-dir; a later file replaces a theme of the same "
    "name. `lbtui themes` lists them."
)


def add_theme_dir_argument(parser: argparse.ArgumentParser) -> None:
    """`--theme-dir DIR`, shared by the dashboard and `lbtui themes`."""
    parser.add_argument(
        "--theme-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="also load the theme files (*.yaml) in DIR; they win over same-named ones",
    )


def add_dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    """The dashboard's arguments: an optional topology file, theme and refresh intervals."""
    parser.add_argument(
        "topology",
        nargs="?",
        type=Path,
        default=None,
        metavar="TOPOLOGY",
        help=(
            f"topology file (default: the packaged reference topology {REFERENCE_TOPOLOGY}, "
            "on the local lab; `lbtui samples` shows where it is)"
        ),
    )
    parser.add_argument("--theme", default="dark", help="theme name (default dark)")
    add_theme_dir_argument(parser)
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
    parser = subparsers.add_parser(
        "dashboard", help="the live dashboard (also: lbtui [TOPOLOGY])", epilog=THEMES_HELP
    )
    add_dashboard_arguments(parser)


def build_dashboard(args: argparse.Namespace, path: Path) -> tuple[LbtuiApp, Services]:
    """Validate everything and build the services and the app, as `lbtui` runs them."""
    # Imported here: the headless verbs must not pay for importing Textual.
    from lbtui.tui.app import make_app
    from lbtui.tui.data.live import live_services
    from lbtui.tui.settings import RefreshSettings
    from lbtui.tui.themes import discover_themes

    if not path.is_file():
        raise BadInput(f"topology file {path} not found")
    topology = load_topology(path)
    refresh = RefreshSettings(stats_s=args.refresh, docker_s=args.docker_refresh)
    themes = discover_themes(args.theme_dir)
    services = live_services(topology)
    try:
        app = make_app(topology, services, theme=args.theme, refresh=refresh, themes=themes)
    except BaseException:
        services.close()
        raise
    return app, services


def run_dashboard(args: argparse.Namespace) -> int:
    """Run the app on the topology; its exit code."""
    with topology_file(args.topology) as path:
        app, services = build_dashboard(args, path)
        try:
            result = app.run()
        finally:
            services.close()
    return result if isinstance(result, int) else 0
