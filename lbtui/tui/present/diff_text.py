"""A redeploy preview as lines tagged by kind, so the diff view can colour them (pure)."""

from __future__ import annotations

from enum import StrEnum

from lbtui.tui.data.services import RedeployPreview


class LineKind(StrEnum):
    """What a line of the diff view is; each kind is a component class of the view."""

    SUMMARY = "summary"
    FILE = "file"
    HUNK = "hunk"
    ADDED = "added"
    REMOVED = "removed"
    CONTEXT = "context"


def diff_line_kind(line: str) -> LineKind:
    """The kind of one line of a unified diff."""
    if line.startswith(("+++", "---")):
        return LineKind.FILE
    if line.startswith("@@"):
        return LineKind.HUNK
    if line.startswith("+"):
        return LineKind.ADDED
    if line.startswith("-"):
        return LineKind.REMOVED
    return LineKind.CONTEXT


def preview_lines(preview: RedeployPreview) -> list[tuple[LineKind, str]]:
    """The plan's summary, then the diff (or a line saying the config is unchanged)."""
    lines = [(LineKind.SUMMARY, line) for line in preview.summary]
    if not preview.diff:
        return [*lines, (LineKind.CONTEXT, "config unchanged")]
    return lines + [(diff_line_kind(line), line) for line in preview.diff.splitlines()]


def diff_size(preview: RedeployPreview) -> str:
    """`+1 -0 config lines`, or `config unchanged`: one line for the events pane."""
    kinds = [diff_line_kind(line) for line in preview.diff.splitlines()]
    if not kinds:
        return "config unchanged"
    return f"+{kinds.count(LineKind.ADDED)} -{kinds.count(LineKind.REMOVED)} config lines"
