"""`lbtui samples [--copy DIR]`: the sample topologies shipped in the package.

Also where a verb's optional TOPOLOGY falls back to the packaged reference
topology, so `lbtui` and `lbtui validate` work after `pip install` or `pipx
install` from any directory.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file
from pathlib import Path

from rich.markup import escape

from lbtui.commands import output
from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.resources import REFERENCE_TOPOLOGY, reference_topology, topology_files


@contextmanager
def topology_file(path: Path | None) -> Iterator[Path]:
    """The file to open: `path`, or without one the packaged reference topology."""
    if path is None:
        # A real file for as long as it is used, even were the package in a zip.
        with as_file(reference_topology()) as packaged:
            yield packaged
        return
    yield path  # load_topology says what is wrong with a missing or odd file


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `samples`."""
    description = (
        "List the sample topologies shipped with lbtui, or copy them to a folder to edit. "
        f"{REFERENCE_TOPOLOGY} is the reference scenario on the local lab; `lbtui` and "
        "`lbtui validate` use it when no TOPOLOGY is given."
    )
    parser = subparsers.add_parser(
        "samples", help="list or copy the packaged sample topologies", description=description
    )
    parser.add_argument(
        "--copy",
        type=Path,
        metavar="DIR",
        help="write a copy of every sample into DIR (created; existing files are kept)",
    )
    parser.set_defaults(handler=_samples)


def _samples(args: argparse.Namespace) -> int:
    console = output.console()
    if args.copy is None:
        for sample in topology_files():
            console.print(f"{escape(sample.name):<18} {escape(str(sample))}")
        return 0
    target: Path = args.copy
    if target.exists() and not target.is_dir():
        raise BadInput(f"{target} exists and is not a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
        kept = []
        for sample in topology_files():
            destination = target / sample.name
            if destination.exists():
                kept.append(sample.name)
                continue
            destination.write_bytes(sample.read_bytes())
            console.print(f"[green]wrote[/] {escape(str(destination))}")
    except OSError as error:
        raise RuntimeFailure(f"cannot copy the samples to {target}: {error}") from error
    for name in kept:
        console.print(f"[dim]kept {escape(str(target / name))} (already there)[/]")
    return 0
