"""The traffic view's text and points: per-server rows, chart lines and markers (pure).

The rows put what the generator measured over its sliding window (requests, share, latency
percentiles, errors by kind, status codes) next to what HAProxy reports for the same server
(its averages over the last 1024 requests, its health check), keyed by server name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lbtui.core.traffic.outcome import ErrorKind
from lbtui.core.traffic.tally import TrafficTally
from lbtui.core.traffic.window import ServerFigures, WindowSnapshot
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.present.rows import Row, Rows

TRAFFIC_COLUMNS: Row = (
    "server",
    "req",
    "share",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "refused",
    "reset",
    "timeout",
    "5xx",
    "statuses",
    "LB q/c/r/t ms",
    "check",
)
ERROR_COLUMNS = (ErrorKind.REFUSED, ErrorKind.RESET, ErrorKind.TIMEOUT, ErrorKind.SERVER_ERROR)
#: Seconds of history the chart shows: two minutes keep a fault and its recovery on screen.
CHART_SPAN_S = 120.0
#: Markers shown at most (the latest): more would bury the lines under labels.
MAX_MARKERS = 6
_DASH = "-"


@dataclass(frozen=True)
class Marker:
    """Something the dashboard did that the chart marks: a fault, a clear, a redeploy."""

    at: float
    """Wall-clock time (the services' clock) when it completed."""
    label: str


@dataclass(frozen=True)
class ChartLine:
    """One server's latency over time: seconds since the run started -> p99 ms."""

    server: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True)
class ChartMarker:
    """A vertical marker at `x` seconds since the run started."""

    x: float
    label: str


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _statuses(statuses: Mapping[int, int]) -> str:
    return " ".join(f"{code}:{count}" for code, count in statuses.items()) or _DASH


def _lb_times(server: ServerView | None) -> str:
    if server is None:
        return _DASH
    times = (server.qtime_ms, server.ctime_ms, server.rtime_ms, server.ttime_ms)
    return "/".join(_DASH if t is None else str(t) for t in times)


def _check(server: ServerView | None) -> str:
    if server is None:
        return _DASH
    parts = [server.check_status or server.status or "?"]
    if server.check_code:
        parts.append(server.check_code)
    if server.check_duration_ms is not None:
        parts.append(f"{server.check_duration_ms}ms")
    return " ".join(parts)


def _figures_cells(figures: ServerFigures | None) -> tuple[str, ...]:
    if figures is None:
        return (_DASH,) * 11
    latency = figures.latency
    answered = latency.count > 0
    percentiles = (latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms)
    return (
        str(figures.requests),
        f"{figures.share * 100:.0f}%",
        *(_ms(value) if answered else _DASH for value in percentiles),
        *(str(figures.errors.get(kind, 0)) for kind in ERROR_COLUMNS),
        _statuses(figures.statuses),
    )


def server_rows(window: WindowSnapshot | None, view: VipView | None) -> Rows:
    """One row per server the LB reports or the window saw, keyed by server name."""
    lb = {s.name: s for s in view.servers} if view is not None and view.reachable else {}
    seen = {f.server: f for f in window.window} if window is not None else {}
    names = [*lb, *(name for name in seen if name not in lb)]
    return {
        name: (name, *_figures_cells(seen.get(name)), _lb_times(lb.get(name)), _check(lb.get(name)))
        for name in names
    }


def chart_lines(window: WindowSnapshot, span_s: float = CHART_SPAN_S) -> tuple[ChartLine, ...]:
    """Each server's per-second p99 over the last `span_s` seconds (seconds that got no answer
    leave a gap rather than a zero)."""
    lines = []
    since, started = window.now - span_s, window.started
    for server, points in window.series.items():
        # One pass over the points, no pairs zipped apart: this runs on the UI thread.
        kept = [p for p in points if p.at >= since and p.p99_ms is not None]
        if kept:  # requests that got no answer (the `?` row) have no latency to draw
            xs = tuple([p.at - started for p in kept])
            ys = tuple([float(p.p99_ms) for p in kept if p.p99_ms is not None])
            lines.append(ChartLine(server, xs, ys))
    return tuple(lines)


def chart_markers(
    markers: Iterable[Marker],
    window: WindowSnapshot,
    polled_at: float,
    span_s: float = CHART_SPAN_S,
) -> tuple[ChartMarker, ...]:
    """The markers that fall in the chart's span, on its clock (seconds since the run started).

    `polled_at` is the wall-clock time at which `window` was taken: the two clocks meet there.
    """
    run_now = window.now - window.started
    placed = [ChartMarker(run_now - (polled_at - m.at), m.label) for m in markers]
    shown = [m for m in placed if run_now - span_s <= m.x <= run_now + 1]
    return tuple(shown[-MAX_MARKERS:])


def traffic_title(vip: str, tally: TrafficTally | None) -> str:
    """The traffic pane's title: the VIP, the run's rate, mode and state, the window."""
    if tally is None:
        return f"Traffic of {vip}: not started (t starts it)"
    state = "running" if tally.running else (tally.finished_reason or "stopped")
    window = tally.figures.window_s
    return (
        f"Traffic of {vip}: {tally.target_rate:g} req/s {tally.mode} ({state}), "
        f"per server over the last {window:g} s; chart: p99 ms per second since the start"
    )
