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
from rich.text import Text

from lbtui import __version__
from lbtui.commands import COMMAND_MODULES
from lbtui.core.echo import shown
from lbtui.core.errors import LbtuiError


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-command per verb."""
    parser = argparse.ArgumentParser(
        prog="lbtui",
        description=(
            "Build, watch and redeploy load-balanced container services across "
            "several Docker hosts."
        ),
        epilog=(
            "With no COMMAND, or a topology file first, lbtui opens the dashboard: "
            "lbtui [TOPOLOGY] [--theme NAME] [--theme-dir DIR]. Without TOPOLOGY it uses the "
            "reference topology shipped with lbtui (`lbtui samples` lists and copies the "
            "samples). Themes: bundled, then ~/.config/lbtui/themes ($XDG_CONFIG_HOME), then "
            "--theme-dir; `lbtui themes` lists them."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lbtui {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def _with_default_verb(parser: argparse.ArgumentParser, args_list: list[str]) -> list[str]:
    """No verb, or a topology file first: `lbtui [TOPOLOGY] [--theme ...]` opens the dashboard."""
    verbs = {
        verb
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for verb in action.choices
    }
    if args_list and (args_list[0] in verbs or args_list[0] in ("-h", "--help", "--version")):
        return args_list
    return ["dashboard", *args_list]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lbtui` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args_list = _with_default_verb(parser, args_list)
    args = parser.parse_args(args_list)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        exit_code: int = args.handler(args)
    except LbtuiError as error:
        message = Text.assemble(("error: ", "bold red"), shown(str(error), keep="\n", limit=None))
        Console(stderr=True, soft_wrap=True).print(message, highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        return 130
    return exit_code
