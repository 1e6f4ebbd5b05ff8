"""The conftest hook that makes a skipped test fail under CI, run on a tiny suite of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

TESTS = """
import pytest

def test_runs():
    pass

def test_skips_inside():
    pytest.skip("busybox is not installed")

@pytest.mark.skipif(True, reason="needs root")
def test_skipped_by_marker():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_failure():
    assert False
"""

MODULE_SKIP = """
import pytest

pytest.skip("no lab on this machine", allow_module_level=True)

def test_never_collected():
    pass
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A folder with the real conftest and a test file with skips."""
    shutil.copy2(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(TESTS)
    return tmp_path


def _pytest(suite: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "LBTUI_REQUIRE_ALL")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", str(suite)],
        cwd=suite,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("env", [{}, {"CI": "false"}, {"CI": "0"}])
def test_skips_stay_skips_off_ci(suite: Path, env: dict[str, str]) -> None:
    result = _pytest(suite, **env)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CI": "true"}, "(CI)"),
        ({"LBTUI_REQUIRE_ALL": "1"}, "(LBTUI_REQUIRE_ALL=1)"),
        ({"CI": "false", "LBTUI_REQUIRE_ALL": "1"}, "(LBTUI_REQUIRE_ALL=1)"),
    ],
)
def test_under_ci_a_skip_is_a_failure_naming_its_reason(
    suite: Path, env: dict[str, str], named: str
) -> None:
    result = _pytest(suite, **env)
    out = result.stdout
    assert result.returncode == 1, out
    # A skip in setup (a skipif marker, a fixture) becomes an error, one in the body a failure.
    assert "1 failed, 1 passed, 1 xfailed, 1 error" in out
    for reason in ("busybox is not installed", "needs root"):
        assert f"skipped, but every test must run here {named}: Skipped: {reason}" in out, out


def test_under_ci_a_skipped_module_is_a_collection_error(suite: Path) -> None:
    (suite / "test_module_skip.py").write_text(MODULE_SKIP)
    assert _pytest(suite).returncode == 0
    result = _pytest(suite, CI="true")
    assert result.returncode == pytest.ExitCode.INTERRUPTED, result.stdout
    assert "ERROR collecting test_module_skip.py" in result.stdout
    reason = "skipped, but every test must run here (CI): Skipped: no lab on this machine"
    assert reason in result.stdout
