"""How every headless verb prints: progress lines, warnings and consoles.

Errors are not printed here: `lbtui.cli.main` turns every `LbtuiError` into a
message and its exit code, for all verbs alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape

from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.topology.model import Topology

PHASE_STYLE = {
    Phase.STARTED: "cyan",
    Phase.DONE: "green",
    Phase.SKIPPED: "dim",
    Phase.FAILED: "bold red",
}


def console() -> Console:
    """Standard output for results; values are printed as they are, never as markup."""
    return Console(highlight=False, soft_wrap=True)


def progress_printer(out: Console) -> Reporter:
    """A reporter that prints each progress event on its own line, coloured by phase."""

    def report(event: ProgressEvent) -> None:
        out.print(f"[{PHASE_STYLE[event.phase]}]{escape(event.describe())}[/]")

    return report


def print_warnings(out: Console, warnings: Iterable[str]) -> None:
    """Warnings the user must see on every run (e.g. plain TCP without TLS)."""
    for warning in warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")


@contextmanager
def open_hosts(topology: Topology, out: Console) -> Iterator[DockerHosts]:
    """The topology's Docker hosts gateway, after printing its warnings; closed on leaving."""
    with DockerHosts(topology) as hosts:
        print_warnings(out, hosts.warnings)
        yield hosts
