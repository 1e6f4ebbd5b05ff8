"""`lbtui lab up|down|status`: the local multi-host lab."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `lab` and its verbs."""
    lab = subparsers.add_parser("lab", help="a local multi-host Docker lab on this machine")
    lab.set_defaults(handler=None)
