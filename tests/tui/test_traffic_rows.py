"""The traffic view's pure functions: rows by server, chart lines, markers on the run's clock."""

from __future__ import annotations

import dataclasses

from lbtui.tui.present.traffic_rows import (
    MAX_MARKERS,
    Marker,
    chart_lines,
    chart_markers,
    server_rows,
)
from tests.tui.snapshot_apps.fake import fake_window, reference_stats


def test_rows_follow_the_lb_order_and_add_servers_only_the_window_saw() -> None:
    window = fake_window(servers=("web2", "web9"))
    rows = server_rows(window, reference_stats())
    assert list(rows) == ["web1", "web2", "?", "web9"]
    assert rows["web1"][1:8] == ("-",) * 7  # the LB's server that got no request
    assert rows["web9"][-2:] == ("-", "-")  # seen by the generator, unknown to the LB


def test_an_unreachable_lb_leaves_only_the_windows_rows() -> None:
    view = dataclasses.replace(reference_stats(), reachable=False, error="refused")
    assert list(server_rows(fake_window(), view)) == ["?", "web1", "web2"]
    assert server_rows(None, None) == {}


def test_chart_lines_keep_the_span_and_skip_servers_without_answers() -> None:
    window = fake_window(seconds=30)
    lines = chart_lines(window, span_s=10)
    assert [line.server for line in lines] == ["web1", "web2"]
    assert lines[0].xs == tuple(float(x) for x in range(20, 30))


def test_markers_land_on_the_runs_clock_and_only_the_latest_few_in_span() -> None:
    window = fake_window(seconds=30)  # the run is 30 s old when the window was read
    polled_at = 1000.0
    old = Marker(polled_at - 200, "too old")
    recent = [Marker(polled_at - 10 + i, f"m{i}") for i in range(MAX_MARKERS + 2)]
    shown = chart_markers([old, *recent], window, polled_at)
    assert len(shown) == MAX_MARKERS
    assert shown[-1].label == f"m{MAX_MARKERS + 1}"
    assert shown[-1].x == 30 - 10 + MAX_MARKERS + 1
