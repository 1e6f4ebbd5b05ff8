"""Command line: parse arguments, validate input, then run a headless verb or the dashboard.

Every verb lives in `lbtui.commands.<module>` and registers itself with
`register(subparsers)`; its handler returns an exit code. Errors lbtui raises on
purpose (`LbtuiError`) become a message and their exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from lbtui import __version__
from lbtui.commands import COMMAND_MODULES
from lbtui.core.errors import LbtuiError


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-command per verb."""
    parser = argparse.ArgumentParser(
        prog="lbtui",
        description=(
            "Build, watch and redeploy load-balanced container services across "
            "several Docker hosts."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lbtui {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lbtui` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        exit_code: int = args.handler(args)
    except LbtuiError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        return 130
    return exit_code
