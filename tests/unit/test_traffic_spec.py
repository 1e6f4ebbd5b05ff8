"""Traffic settings, target checks, server naming and the tally's arithmetic (no sockets)."""

from __future__ import annotations

import httpx
import pytest

from lbtui.core.errors import BadInput
from lbtui.core.traffic.latency import LatencyHistogram
from lbtui.core.traffic.outcome import ErrorKind, Outcome
from lbtui.core.traffic.spec import (
    MAX_DURATION_S,
    TrafficSpec,
    check_target,
    served_by,
)
from lbtui.core.traffic.tally import Tallier, TrafficTally


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0}, "rate 0"),
        ({"rate": 5000}, "rate 5000"),
        ({"duration_s": 0}, "duration 0"),
        ({"duration_s": 601}, "duration 601"),
        ({"count": 0}, "count 0"),
        ({"count": 10**9}, "count 1000000000"),
        ({"duration_s": None}, "give a duration or a count"),
        ({"mode": "pipelined"}, "mode 'pipelined'"),
        ({"connections": 0}, "connections 0"),
        ({"timeout_s": 0}, "timeout 0"),
    ],
)
def test_unbounded_or_wrong_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        TrafficSpec(url="http://127.0.0.1/", **kwargs)  # type: ignore[arg-type]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(BadInput) as caught:
        TrafficSpec(url="http://127.0.0.1/", rate=-1, connections=500)
    assert "rate -1" in str(caught.value)
    assert "connections 500" in str(caught.value)


def test_a_count_alone_is_bounded_by_the_longest_duration() -> None:
    assert TrafficSpec(url="http://x/", rate=10, duration_s=3).deadline_s == 3
    by_count = TrafficSpec(url="http://x/", rate=10, duration_s=None, count=50)
    assert by_count.deadline_s == MAX_DURATION_S


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/", "http://localhost/", "http://198.18.0.11/", "http://198.19.255.1/"],
)
def test_loopback_and_lab_targets_are_accepted(url: str) -> None:
    check_target(url)


@pytest.mark.parametrize("url", ["http://192.0.2.10/", "http://10.0.0.1/", "http://198.20.0.1/"])
def test_targets_outside_the_lab_are_refused(url: str) -> None:
    with pytest.raises(BadInput, match="outside"):
        check_target(url)


def test_the_override_allows_any_target() -> None:
    check_target("http://192.0.2.10/", allow_any=True)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:80", "http:///path"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(BadInput, match="http:// or https://"):
        check_target(url)


def test_unresolvable_hosts_are_refused() -> None:
    with pytest.raises(BadInput, match="cannot resolve"):
        check_target("http://no-such-host.invalid/")


def test_the_header_names_the_server_before_the_page() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    both = httpx.Response(
        200, headers={"X-Served-By": "web2"}, content=b"served by web1", request=request
    )
    page_only = httpx.Response(200, content=b"<h1>Served by web3</h1>", request=request)
    neither = httpx.Response(200, content=b"hello", request=request)
    assert served_by(both) == "web2"
    assert served_by(page_only) == "web3"
    assert served_by(neither) is None


def test_percentiles_are_within_one_percent() -> None:
    histogram = LatencyHistogram()
    for ms in range(1, 1001):
        histogram.add(ms / 1000)
    summary = histogram.summary()
    assert summary.p50_ms == pytest.approx(500, rel=0.011)
    assert summary.p90_ms == pytest.approx(900, rel=0.011)
    assert summary.p99_ms == pytest.approx(990, rel=0.011)
    assert summary.max_ms == pytest.approx(1000, rel=0.011)
    assert summary.mean_ms == pytest.approx(500.5, rel=0.011)
    assert summary.count == 1000


def test_an_empty_histogram_reports_zeros() -> None:
    assert LatencyHistogram().summary().p99_ms == 0.0


def _tally_of(outcomes: list[tuple[int, str | None] | str]) -> TrafficTally:
    tallier = Tallier("http://127.0.0.1/", "fresh", 10.0, recent_size=4)
    tallier.start()
    for outcome in outcomes:
        tallier.sent()
        if isinstance(outcome, str):
            tallier.record(Outcome(0.0, 0.001, error=ErrorKind.REFUSED, detail=outcome))
        else:
            status, server = outcome
            kind = None if 200 <= status < 300 else ErrorKind.SERVER_ERROR
            detail = None if kind is None else f"http {status}"
            tallier.record(Outcome(0.0, 0.002, server, status, kind, detail))
    return tallier.snapshot()


def test_the_tally_separates_answers_and_failures() -> None:
    tally = _tally_of([(200, "web1"), (200, "web2"), (503, None), "ConnectError", (204, None)])
    assert (tally.sent, tally.ok, tally.failed, tally.in_flight) == (5, 3, 2, 0)
    assert tally.errors == {"http 503": 1, "ConnectError": 1}
    assert tally.servers == {"?": 2, "web1": 1, "web2": 1}
    assert [r.server for r in tally.recent] == ["web2", "?", None, "?"]
    assert [r.ok for r in tally.recent] == [True, False, False, True]
    assert [f.kind for f in tally.failures] == ["http 503", "ConnectError"]
    assert tally.error_kinds == {ErrorKind.REFUSED: 1, ErrorKind.SERVER_ERROR: 1}
    # Requests without a named server (no answer, or no header) share the "?" row.
    per_server = {f.server: f.requests for f in tally.figures.totals}
    assert per_server == {"?": 3, "web1": 1, "web2": 1}
    assert tally.running


def test_recent_shares_and_deltas() -> None:
    before = _tally_of([(200, "web1")])
    after = _tally_of([(200, "web1"), (200, "web2"), (200, "web1"), (200, "web2")])
    assert after.recent_shares() == {"web1": 0.5, "web2": 0.5}
    assert after.servers_since(before) == {"web1": 1, "web2": 2}


def test_finishing_freezes_the_clock_and_keeps_the_first_reason() -> None:
    tallier = Tallier("http://127.0.0.1/", "keepalive", 10.0, recent_size=4)
    tallier.start()
    tallier.finish("count reached")
    tallier.finish("stopped")
    first = tallier.snapshot()
    second = tallier.snapshot()
    assert first.finished_reason == "count reached"
    assert not first.running
    assert first.elapsed_s == second.elapsed_s
