"""Headless verbs of the `lbtui` command; each module registers its sub-commands."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Protocol


class CommandModule(Protocol):
    """What a command module provides."""

    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add this module's sub-commands, each with `handler` set in its defaults."""


def _modules() -> list[ModuleType]:
    from lbtui.commands import dashboard, deploy, fault, lab, redeploy, server, traffic

    return [lab, deploy, traffic, server, redeploy, fault, dashboard]


COMMAND_MODULES: list[ModuleType] = _modules()
