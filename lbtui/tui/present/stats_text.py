"""The text of a VIP's server lines: figures, share bar, sparkline points (pure functions)."""

from __future__ import annotations

from lbtui.core.traffic.tally import TrafficTally
from lbtui.tui.data.stats_view import ServerView

BAR_WIDTH = 10
#: Check durations under this show as `<10ms`: a healthy check takes 0-5 ms and flickers
#: between them every poll, which would repaint every panel every second for nothing.
#: The traffic view shows the exact figure.
QUICK_CHECK_MS = 10
#: Points of the sparkline; shorter histories are padded so an idle VIP never repaints it.
SPARK_POINTS = 60

FIGURES_FORMAT = "{check:<15}{weight:>3}{scur:>5}{stot:>7}{lbtot:>7}{rate:>7}{ok:>7}{err:>5} "
FIGURES_HEADER = FIGURES_FORMAT.format(
    check="check",
    weight="wt",
    scur="cur",
    stot="total",
    lbtot="lbtot",
    rate="req/s",
    ok="2xx",
    err="5xx",
)


def figures_text(server: ServerView) -> str:
    """The server's figures, aligned under FIGURES_HEADER."""
    check = server.check_status
    if server.check_code:
        check += f" {server.check_code}"
    if server.check_duration_ms is not None:
        check += f" {check_duration_text(server.check_duration_ms)}"
    return FIGURES_FORMAT.format(
        check=check[:14],
        weight=server.weight,
        scur=server.scur,
        stot=server.stot,
        lbtot=server.lbtot,
        rate=f"{server.rate:.1f}",
        ok=server.hrsp_2xx,
        err=server.hrsp_5xx,
    )


def check_duration_text(milliseconds: int) -> str:
    """`<10ms` for a quick check, the milliseconds otherwise (`35ms`)."""
    if milliseconds < QUICK_CHECK_MS:
        return f"<{QUICK_CHECK_MS}ms"
    return f"{milliseconds}ms"


def share_text(share: float) -> str:
    """A bar of the server's share of the last interval's requests."""
    filled = round(max(0.0, min(1.0, share)) * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled) + f" {share * 100:3.0f}%"


def spark_points(history: tuple[float, ...]) -> list[float]:
    """The last SPARK_POINTS rates, left-padded with zeros."""
    recent = list(history[-SPARK_POINTS:])
    return [0.0] * (SPARK_POINTS - len(recent)) + recent


BARS = "▁▂▃▄▅▆▇█"


def spark_levels(points: list[float], width: int) -> list[int]:
    """Bar heights (0..7) of `points` squeezed or stretched into `width` cells, max-scaled."""
    if width <= 0 or not points:
        return []
    count = len(points)
    # Each cell summarises (by max) the points that fall into it: peaks never vanish.
    cells = [
        max(points[i * count // width : max(i * count // width + 1, (i + 1) * count // width)])
        for i in range(width)
    ]
    top = max(cells)
    if top <= 0:
        return [0] * width
    return [min(7, int(value / top * 7.999)) if value > 0 else 0 for value in cells]


def traffic_text(tally: TrafficTally) -> str:
    """One line for a traffic run: rate, counts, who served the last answers, latency."""
    idle = "not started" if tally.sent == 0 else "ended"
    state = "running" if tally.running else (tally.finished_reason or idle)
    shares = "  ".join(
        f"{name} {share * 100:.0f}%" for name, share in tally.recent_shares().items()
    )
    order = " ".join(r.server or "✘" for r in tally.recent[-6:])
    return (
        f"traffic {tally.mode} {tally.target_rate:g}/s ({state}): sent {tally.sent} "
        f"ok {tally.ok} failed {tally.failed}  last {len(tally.recent)}: {shares or '-'}  "
        f"[… {order}]  p50 {tally.latency.p50_ms:.1f} ms p99 {tally.latency.p99_ms:.1f} ms"
    )
