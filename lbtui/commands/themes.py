"""`lbtui themes [--theme-dir DIR] [--json]`: every theme the dashboard can use, and from where."""

from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape

from lbtui.commands import output
from lbtui.commands.dashboard import THEMES_HELP, add_theme_dir_argument


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `themes`."""
    parser = subparsers.add_parser(
        "themes",
        help="list the dashboard's themes and where each comes from",
        description="List the themes `lbtui --theme NAME` accepts. Broken theme files are "
        "reported (on standard error) and skipped, as the dashboard does.",
        epilog=THEMES_HELP,
    )
    add_theme_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=_themes)


def _themes(args: argparse.Namespace) -> int:
    # Imported here: parsing a theme needs Textual, which the other verbs do not load.
    from lbtui.tui.themes import discover_themes

    found = discover_themes(args.theme_dir)
    if args.json:
        listed = [
            {"name": e.theme.name, "source": e.source, "path": e.path, "dark": e.theme.dark}
            for e in found.entries
        ]
        print(json.dumps({"themes": listed, "problems": list(found.problems)}, indent=2))
        return 0
    console = output.console()
    width = max((len(entry.theme.name) for entry in found.entries), default=0)
    for entry in found.entries:
        name = escape(entry.theme.name.ljust(width))
        console.print(f"{name}  {entry.source:<11}  {escape(entry.path)}")
    for problem in found.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0
