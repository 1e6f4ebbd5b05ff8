"""The diff view's lines: the plan's summary, then each diff line tagged by kind."""

from __future__ import annotations

from lbtui.tui.data.services import RedeployPreview
from lbtui.tui.present.diff_text import LineKind, diff_line_kind, diff_size, preview_lines


def test_each_diff_line_has_its_kind() -> None:
    assert diff_line_kind("--- running") is LineKind.FILE
    assert diff_line_kind("+++ new") is LineKind.FILE
    assert diff_line_kind("@@ -1,2 +1,3 @@") is LineKind.HUNK
    assert diff_line_kind("+    server web3 web3:80 check") is LineKind.ADDED
    assert diff_line_kind("-    server web1 web1:80 check") is LineKind.REMOVED
    assert diff_line_kind("     balance roundrobin") is LineKind.CONTEXT


def test_the_summary_comes_first_and_an_unchanged_config_says_so() -> None:
    preview = RedeployPreview("shop", ("VIP shop", "  recreate the LB container"), "")
    assert preview_lines(preview) == [
        (LineKind.SUMMARY, "VIP shop"),
        (LineKind.SUMMARY, "  recreate the LB container"),
        (LineKind.CONTEXT, "config unchanged"),
    ]
    assert diff_size(preview) == "config unchanged"
    changed = RedeployPreview("shop", ("VIP shop",), "--- running\n+++ new\n+x")
    assert [kind for kind, _ in preview_lines(changed)] == [
        LineKind.SUMMARY,
        LineKind.FILE,
        LineKind.FILE,
        LineKind.ADDED,
    ]
    assert diff_size(changed) == "+1 -0 config lines"
