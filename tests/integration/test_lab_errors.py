"""Bad situations end in a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lbtui.core.errors import LabError
from lbtui.lab import LabSpec
from lbtui.lab.daemons import start
from lbtui.lab.plan import host_plan

pytestmark = pytest.mark.integration


def test_a_daemon_that_dies_at_start_shows_the_end_of_its_log(tmp_path: Path) -> None:
    # A namespace that does not exist: nsenter fails before dockerd runs, as a broken host would.
    host = host_plan(LabSpec(name="lbnone"), 1, tmp_path / "run", tmp_path / "state")
    with pytest.raises(LabError) as error:
        start(host, None)
    message = str(error.value)
    assert "dockerd of docker1 exited" in message
    assert str(host.log_file) in message
    assert "/run/netns/lbtui-lbnone-docker1" in message  # nsenter's own complaint, from the log
    assert not Path("/run/lbtui/lbnone").exists()


def test_not_root_is_refused_with_a_message() -> None:
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "lbtui",
            "lab",
            "up",
            "--name",
            "lbnoroot",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 1
    assert "needs root" in result.stderr
    assert "Traceback" not in result.stderr
