"""What a step decides (a Change) and how it is carried out with progress reported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from lbtui.core.errors import BadInput
from lbtui.core.progress import Phase, ProgressEvent, Reporter


class Step(StrEnum):
    """The steps of apply, in the order apply runs them (CLI `--step`, dashboard keys)."""

    OVERLAY = "overlay"
    BACKENDS = "backends"
    LB = "lb"
    BRIDGE = "bridge"

    @classmethod
    def parse(cls, name: str) -> Step:
        """The step called `name`; BadInput naming the choices otherwise."""
        try:
            return cls(name)
        except ValueError:
            choices = ", ".join(cls)
            raise BadInput(f"unknown step {name!r}; choose one of {choices}") from None


class Verdict(StrEnum):
    """What a step does to one resource."""

    KEEP = "keep"
    CREATE = "create"
    REPLACE = "replace"
    START = "start"
    RELOAD = "reload"
    CONNECT = "connect"
    INIT = "init"
    JOIN = "join"
    REMOVE = "remove"
    LEAVE = "leave"


@dataclass(frozen=True)
class Change:
    """One resource, what a step does (or would do) to it, and why."""

    step: str
    """swarm, network, backend, lb, bridge or teardown."""
    target: str
    host: str
    verdict: Verdict
    reason: str = ""

    @property
    def changes(self) -> bool:
        """False when the resource is left as it is."""
        return self.verdict is not Verdict.KEEP

    def describe(self) -> str:
        """One line for a plan: verdict, resource, host and reason."""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.verdict.value:<8} {self.step} {self.target} on {self.host}{reason}"


def carry_out(change: Change, report: Reporter, do: Callable[[], str | None]) -> Change:
    """Run `do` unless the change is KEEP, reporting started/done/skipped/failed."""

    def event(phase: Phase, detail: str) -> None:
        report(ProgressEvent(phase, change.step, change.target, change.host, detail))

    if not change.changes:
        event(Phase.SKIPPED, change.reason or "already as specified")
        return change
    event(Phase.STARTED, f"{change.verdict.value}: {change.reason}" if change.reason else "")
    try:
        detail = do()
    except Exception as error:
        event(Phase.FAILED, str(error))
        raise
    event(Phase.DONE, detail or change.verdict.value)
    return change
