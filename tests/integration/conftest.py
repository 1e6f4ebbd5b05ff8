"""The real lab the integration tests run on: one per test session, always taken down.

`lab` runs lab `$LBTUI_TEST_LAB` (default `lbtest`) on `$LBTUI_TEST_SUBNET`
(default 198.18.1.0/24) with three hosts and TLS, restarted fresh for each
module, and taken down at the end of the session, also when tests fail, unless
`LBTUI_TEST_KEEP_LAB=1`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from lbtui.lab import LabSpec, LabStatus, lab_down, lab_up

ROOT_REASON = "integration tests need root: they start Docker engines in network namespaces"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip integration tests, with the reason, when not running as root."""
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason=ROOT_REASON)
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def lab_spec() -> LabSpec:
    """The spec of the session's test lab."""
    return LabSpec(
        name=os.environ.get("LBTUI_TEST_LAB", "lbtest"),
        hosts=3,
        subnet=os.environ.get("LBTUI_TEST_SUBNET", "198.18.1.0/24"),
        tls=True,
    )


@pytest.fixture(scope="session")
def session_lab(lab_spec: LabSpec) -> Iterator[LabSpec]:
    """Takes the session's lab down at the end, also when tests fail."""
    if os.geteuid() != 0:
        pytest.skip(ROOT_REASON)
    try:
        yield lab_spec
    finally:
        if os.environ.get("LBTUI_TEST_KEEP_LAB") != "1":
            lab_down(lab_spec)


@pytest.fixture(scope="module")
def lab(session_lab: LabSpec) -> LabStatus:
    """The session's lab, freshly started for this module (LabStatus with the new daemon pids).

    Modules share the lab; swarm membership, containers, networks or a daemon
    stopped on purpose must not decide another module's outcome. Leaving and
    rejoining a swarm within one dockerd's life can also leave its gossip port
    bound (seen with dockerd 20.10), so the lab is restarted rather than
    scrubbed: down, then up (a few seconds).
    """
    lab_down(session_lab)
    return lab_up(session_lab)
