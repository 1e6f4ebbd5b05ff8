"""Data shipped inside the package: the bundled themes and the sample topologies.

Read through `importlib.resources`, so an installed lbtui (pip, pipx, a wheel)
finds them without a source checkout. The repository's top-level `themes/` and
`sample_topologies/` are links to these folders: one copy of each file.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

#: The reference scenario: the dashboard's and `lbtui validate`'s default topology.
REFERENCE_TOPOLOGY = "presentation.yaml"


def bundled_themes() -> Traversable:
    """The folder of bundled theme files."""
    return files(__name__) / "themes"


def topologies() -> Traversable:
    """The folder of sample topologies."""
    return files(__name__) / "topologies"


def topology_files() -> list[Traversable]:
    """Every sample topology, in name order."""
    return sorted(
        (entry for entry in topologies().iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )


def reference_topology() -> Traversable:
    """The reference topology file."""
    return topologies() / REFERENCE_TOPOLOGY
