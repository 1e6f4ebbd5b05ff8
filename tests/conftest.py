"""Under CI every test must run: a skipped test there is a failure that names the skip reason.

On for `CI` set to anything but empty, `0` or `false` (CI services set `CI=true`),
or for `LBTUI_REQUIRE_ALL=1`. A developer's machine without root or busybox
still skips, with the reason in the summary (`-ra`). Expected failures (xfail)
are not skips and are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

SKIP_IS_FAILURE = "skipped, but every test must run here"


def required_by() -> str | None:
    """The variable that makes this run turn skips into failures, or None."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return "CI"
    if os.environ.get("LBTUI_REQUIRE_ALL") == "1":
        return "LBTUI_REQUIRE_ALL=1"
    return None


def _skip_reason(longrepr: Any) -> str:
    # A skip's longrepr is (file, line, "Skipped: reason").
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    variable = required_by()
    if variable is not None:
        reason = _skip_reason(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{SKIP_IS_FAILURE} ({variable}): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A test skipped in setup or in its body fails under CI."""
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """A module skipped while collecting (`pytest.skip(allow_module_level=True)`) fails too."""
    outcome = yield
    _fail_skip(outcome.get_result())
