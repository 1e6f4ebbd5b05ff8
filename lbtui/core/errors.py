"""The exceptions lbtui raises on purpose.

    LbtuiError                 anything lbtui reports to the user instead of a traceback
    ├── BadInput               exit code 2: the user's input is wrong, nothing was touched
    │   └── TopologyInvalid    a topology file failed validation (carries every problem)
    └── RuntimeFailure         exit code 1: the input is fine, the world is not
        ├── HostUnreachable    a Docker host did not answer (names the host and its URL)
        ├── ActionFailed       a step of an action failed (names the step and where)
        ├── ConfigRejected     HAProxy refused a rendered configuration
        ├── LabError           the local lab could not be brought up or down
        ├── StatsUnavailable   an LB's stats page did not answer (haproxy.stats)
        ├── StatsFormatError   an LB's stats page answered something that is not its CSV
        └── RuntimeCommandFailed  HAProxy's runtime API refused a command (haproxy.runtime)

Every message is written for the person at the terminal: what happened, where,
and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbtui.core.echo import mask_credentials, shown


class LbtuiError(Exception):
    """Base of every error lbtui reports without a traceback."""

    exit_code = 1


class BadInput(LbtuiError):
    """The user's input is wrong; nothing was changed."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as precisely as possible."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __post_init__(self) -> None:
        # Problems quote values from the file: make them safe to print once, here.
        for name in ("file", "path", "message"):
            object.__setattr__(self, name, shown(getattr(self, name)))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field = f"{self.path}: " if self.path else ""
        return f"{where}: {field}{self.message}"


class TopologyInvalid(BadInput):
    """A topology file failed validation; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        header = f"{count} problem{'s' if count != 1 else ''} in topology"
        super().__init__("\n".join([header, *(str(p) for p in problems)]))


class RuntimeFailure(LbtuiError):
    """The input is fine but something in the world failed."""

    exit_code = 1


class HostUnreachable(RuntimeFailure):
    """A Docker host did not answer."""

    def __init__(self, host: str, url: str, reason: str) -> None:
        self.host = host
        self.url = url
        self.reason = reason
        # Engine errors may quote the URL: never let a password in it reach the screen.
        text = f"host {host} ({url}) is unreachable: {reason}"
        super().__init__(mask_credentials(text))


class ActionFailed(RuntimeFailure):
    """A step of an action failed."""


class ConfigRejected(RuntimeFailure):
    """HAProxy refused a rendered configuration."""

    def __init__(self, vip: str, output: str) -> None:
        self.vip = vip
        self.output = output
        super().__init__(f"HAProxy rejected the configuration of VIP {vip}:\n{output}")


class LabError(RuntimeFailure):
    """The local lab could not be brought up, down or inspected."""
