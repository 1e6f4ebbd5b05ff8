"""LiveStats turns successive stats CSVs into the VIP pane's view (no socket: MockTransport)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lbtui.core.haproxy.stats import StatsClient, StatsUnavailable
from lbtui.tui.data.live import LiveStats
from tests.tui.snapshot_apps.fake import reference_topology

DATA = Path(__file__).resolve().parents[1] / "unit" / "data"


def _stats(captures: list[str], times: list[float]) -> LiveStats:
    """LiveStats whose HTTP answers are the named real HAProxy 2.6 captures, in order."""
    bodies = iter((DATA / f"haproxy26_stats_{name}.csv").read_text() for name in captures)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/lbstats;csv" and "authorization" in request.headers
        return httpx.Response(200, text=next(bodies))

    clock = iter(times)
    client = StatsClient(
        httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: 1000.0,
        monotonic=lambda: next(clock),
    )
    topology = reference_topology()
    return LiveStats(lambda: topology, client)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake topology reads its stats password from this variable: no file is written."""
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "s3cret")


def test_rates_shares_and_history_from_successive_polls() -> None:
    live = _stats(["up", "drain"], [10.0, 12.0])
    first = live.poll("presentation")
    assert first.reachable and [s.rate for s in first.servers] == [0.0, 0.0]
    second = live.poll("presentation")
    web1, web2 = second.servers
    assert (web1.status, web2.status) == ("UP", "DRAIN")
    assert web1.rate == pytest.approx(3.0) and web2.rate == 0.0  # 6 more requests in 2 s
    assert web1.share == 1.0 and web2.share == 0.0
    assert web1.history == (3.0,)
    assert (web1.check_status, web1.check_code) == ("L7OK", "200")
    assert second.frontend_rate == pytest.approx(3.5)


def test_a_counter_reset_gives_no_negative_rate() -> None:
    live = _stats(["drain", "up"], [10.0, 11.0])  # counters went down: the LB restarted
    live.poll("presentation")
    after = live.poll("presentation")
    assert all(server.rate >= 0 for server in after.servers)
    assert after.frontend_rate >= 0


def test_an_unreachable_lb_raises_for_the_poller_to_show() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    topology = reference_topology()
    client = StatsClient(httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(StatsUnavailable, match="cannot connect"):
        LiveStats(lambda: topology, client).poll("presentation")
