"""Headless verbs of the `lbtui` command; each module registers its sub-commands."""

from __future__ import annotations

from types import ModuleType


def _modules() -> list[ModuleType]:
    from lbtui.commands import (
        dashboard,
        deploy,
        fault,
        lab,
        redeploy,
        rollout,
        samples,
        scale,
        server,
        themes,
        traffic,
    )

    return [
        lab,
        deploy,
        traffic,
        server,
        scale,
        rollout,
        redeploy,
        fault,
        dashboard,
        themes,
        samples,
    ]


COMMAND_MODULES: list[ModuleType] = _modules()
