"""Stats CSV parsing (real HAProxy 2.6 captures), the HTTP client, rates and history."""

from __future__ import annotations

import base64
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import httpx
import pytest

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.haproxy.rates import RateHistory, RateSample, ServerRate, compute_rates
from lbtui.core.haproxy.stats import (
    StatsClient,
    StatsFormatError,
    StatsRow,
    StatsUnavailable,
    VipStats,
    parse_stats_csv,
    vip_stats_url,
)
from lbtui.core.topology.model import Host
from tests.unit._haproxy_helpers import local_lb, reference_topology, reference_vip, wait_for

DATA = Path(__file__).parent / "data"
CREDS = StatsCredentials("user", "s3cret")


def _capture(name: str) -> str:
    # Captured from haproxy 2.6.12 running the rendered reference config on loopback.
    return (DATA / f"haproxy26_stats_{name}.csv").read_text(encoding="utf-8")


def _snapshot(name: str, at: float) -> VipStats:
    return VipStats.from_rows(parse_stats_csv(_capture(name)), 1000.0 + at, at)


def test_parse_a_real_capture() -> None:
    rows = parse_stats_csv(_capture("up"))
    assert [(r.pxname, r.svname, r.type) for r in rows] == [
        ("all", "FRONTEND", "frontend"),
        ("pres_containers", "web1", "server"),
        ("pres_containers", "web2", "server"),
        ("pres_containers", "BACKEND", "backend"),
    ]
    web1 = rows[1]
    assert web1.status == "UP" and web1.state == "UP"
    assert (web1.check_status, web1.check_code, web1.check_duration) == ("L7OK", 200, 3)
    assert web1.check_desc == "Layer7 check passed"
    assert (web1.weight, web1.stot, web1.lbtot, web1.req_tot, web1.hrsp_2xx) == (1, 5, 5, 5, 5)
    assert (web1.econ, web1.eresp, web1.hrsp_5xx) == (0, 0, 0)
    assert (web1.qtime, web1.ctime, web1.rtime, web1.ttime) == (0, 0, 1, 1)
    front = rows[0]
    assert front.status == "OPEN"
    assert (front.req_tot, front.hrsp_2xx, front.weight, front.check_code) == (24, 22, None, None)
    assert (front.qtime, front.ttime) == (None, None)  # a frontend has no server timings


def test_parse_drain_and_maint_captures() -> None:
    drain = VipStats.from_rows(parse_stats_csv(_capture("drain")), 0.0, 0.0)
    assert drain.server("web2") is not None and drain.server("web2").state == "DRAIN"  # type: ignore[union-attr]
    assert drain.server("web1").weight == 3  # type: ignore[union-attr]
    maint = VipStats.from_rows(parse_stats_csv(_capture("maint")), 0.0, 0.0)
    web2 = maint.server("web2")
    assert web2 is not None
    assert web2.state == "MAINT"
    assert web2.check_status == "" and web2.check_code is None


def test_parse_tolerates_missing_extra_and_empty_columns() -> None:
    text = (
        "# pxname,svname,status,weight,brand_new_column,,type\n"
        "all,FRONTEND,OPEN,,x,,0\n"
        'be,"web,1",UP 1/3,,y\n'  # short row, quoted comma, no type column value
        "be,BACKEND,UP,2,z,,1,extra,values\n"
        "\n"
    )
    rows = parse_stats_csv(text)
    assert len(rows) == 3
    assert rows[1].svname == "web,1"
    assert rows[1].type == "server"
    assert rows[1].state == "UP"
    assert rows[1].weight is None
    assert rows[1].requests == 0
    assert rows[1].req_tot is None
    assert rows[2].type == "backend" and rows[2].weight == 2


def test_parsed_rows_equal_rows_built_field_by_field_and_stay_frozen() -> None:
    text = "# pxname,svname,status,scur,check_duration,hrsp_2xx,type\nbe,web1,UP,3, 7 ,n/a,2\n"
    (row,) = parse_stats_csv(text)
    built = StatsRow(
        pxname="be", svname="web1", type="server", status="UP", scur=3, check_duration=7
    )
    assert row == built and hash(row) == hash(built) and repr(row) == repr(built)
    assert row.hrsp_2xx == 0 and row.req_tot is None  # not a number; missing
    with pytest.raises(FrozenInstanceError):
        row.scur = 4  # type: ignore[misc]


def test_row_type_is_inferred_from_svname_when_the_type_column_is_missing() -> None:
    rows = parse_stats_csv("# pxname,svname\nf,FRONTEND\nb,BACKEND\nb,s1\n")
    assert [r.type for r in rows] == ["frontend", "backend", "server"]


@pytest.mark.parametrize("text", ["", "<html>login</html>", "pxname,svname\na,b\n", "# a,b\n1,2\n"])
def test_text_that_is_not_stats_csv_is_a_clear_error(text: str) -> None:
    with pytest.raises(StatsFormatError, match=r"stats CSV|pxname"):
        parse_stats_csv(text)


def test_vip_stats_picks_the_named_sections() -> None:
    text = (
        "# pxname,svname,type,req_tot\n"
        "a,FRONTEND,0,1\nb,FRONTEND,0,2\n"
        "x,s1,2,3\nx,BACKEND,1,3\ny,s2,2,4\ny,BACKEND,1,4\n"
    )
    rows = parse_stats_csv(text)
    picked = VipStats.from_rows(rows, 0.0, 0.0, frontend="b", backend="y")
    assert picked.frontend is not None and picked.frontend.pxname == "b"
    assert picked.backend is not None and picked.backend.pxname == "y"
    assert [s.svname for s in picked.servers] == ["s2"]
    first = VipStats.from_rows(rows, 0.0, 0.0)
    assert first.frontend is not None and first.frontend.pxname == "a"
    assert [s.svname for s in first.servers] == ["s1"]


def test_rates_between_two_real_captures() -> None:
    # "up": web1 and web2 at 5 requests each; "drain" (2 s later): web1 at 11, web2 drained at 5.
    sample = compute_rates(_snapshot("up", 10.0), _snapshot("drain", 12.0))
    assert sample.interval == 2.0
    assert sample.at == 1012.0
    assert sample.server("web1") == ServerRate("web1", requests=6, share=1.0, per_second=3.0)
    assert sample.server("web2") == ServerRate("web2", requests=0, share=0.0, per_second=0.0)
    assert sample.frontend_requests == 31 - 24
    assert sample.frontend_per_second == 3.5
    assert not sample.reset


def test_counters_that_go_down_count_as_a_reset_never_negative() -> None:
    # The LB restarted between the snapshots: "drain" first, then the lower "up" counters.
    sample = compute_rates(_snapshot("drain", 10.0), _snapshot("up", 11.0))
    assert sample.reset
    assert all(s.requests >= 0 and s.per_second >= 0 for s in sample.servers)
    assert sample.server("web1") == ServerRate("web1", requests=5, share=0.5, per_second=5.0)
    assert sample.frontend_requests == 24


def test_zero_interval_and_no_traffic_give_zero_rates() -> None:
    same = _snapshot("up", 5.0)
    sample = compute_rates(same, same)
    assert sample.interval == 0.0
    assert all(s == ServerRate(s.name, 0, 0.0, 0.0) for s in sample.servers)
    assert sample.frontend_per_second == 0.0


def _sample(at: float, **rates: float) -> RateSample:
    servers = tuple(ServerRate(n, int(r), 0.0, r) for n, r in rates.items())
    return RateSample(1.0, at, servers, 0, 0.0, False)


def test_history_keeps_the_last_minute_per_server() -> None:
    history = RateHistory(window=60.0)
    for t in range(100):
        history.add(_sample(float(t), web1=float(t), web2=1.0))
    assert len(history) == 61  # t = 39 .. 99
    assert history.series("web1") == tuple(float(t) for t in range(39, 100))
    assert history.series("web2") == (1.0,) * 61
    assert history.series("web3") == (0.0,) * 61
    latest = history.latest()
    assert latest is not None and latest.at == 99.0


def test_history_is_bounded_in_size_and_fills_gaps_with_zero() -> None:
    history = RateHistory(window=1e9, max_samples=5)
    assert history.latest() is None and history.series("web1") == ()
    for t in range(10):
        rates = {"web1": 2.0} if t % 2 else {}
        history.add(_sample(float(t), **rates))
    assert history.series("web1") == (2.0, 0.0, 2.0, 0.0, 2.0)


def test_history_series_match_the_samples_as_servers_come_and_go() -> None:
    history = RateHistory(window=20.0, max_samples=15)
    kept: list[RateSample] = []
    for t in range(40):
        # s.1 serves throughout, s.2 only from t=10 to 29, s.3 from t=25 (a slot reused).
        rates = {"s.1": 1.0 + t}
        if 10 <= t < 30:
            rates["s.2"] = 2.0
        if t >= 25:
            rates["s.3"] = float(t)
        sample = _sample(float(t), **rates)
        history.add(sample)
        kept = [*kept, sample][-15:]
        kept = [k for k in kept if k.at >= t - 20.0]
        for name in ("s.1", "s.2", "s.3", "s.4"):
            expected = tuple(r.per_second if (r := k.server(name)) else 0.0 for k in kept)
            assert history.series(name) == expected, (t, name)
    assert len(history) == 15


def _mock_client(handler: httpx.MockTransport) -> StatsClient:
    return StatsClient(httpx.Client(transport=handler), clock=lambda: 1234.5, monotonic=lambda: 7.0)


def test_client_fetches_the_csv_with_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=_capture("up"))

    with _mock_client(httpx.MockTransport(handler)) as client:
        stats = client.fetch("http://198.18.0.11:8404/lbstats", CREDS, "all", "pres_containers")
    assert str(seen[0].url) == "http://198.18.0.11:8404/lbstats;csv"
    token = base64.b64encode(b"user:s3cret").decode()
    assert seen[0].headers["authorization"] == f"Basic {token}"
    assert stats.fetched_at == 1234.5 and stats.monotonic == 7.0
    assert stats.frontend is not None and stats.frontend.svname == "FRONTEND"
    assert stats.backend is not None and stats.backend.pxname == "pres_containers"
    assert [s.svname for s in stats.servers] == ["web1", "web2"]


def _failing(response_or_exc: httpx.Response | Exception) -> StatsClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(response_or_exc, Exception):
            raise response_or_exc
        return response_or_exc

    return _mock_client(httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (httpx.Response(401, text="401 Unauthorized"), r"refused user 'user' \(HTTP 401\)"),
        (httpx.Response(503, text="busy"), "HTTP 503 instead of the stats CSV"),
        (httpx.ReadTimeout("timed out"), r"no answer within 2s"),
        (httpx.ConnectTimeout("timed out"), r"no answer within 2s"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "cannot connect"),
        (httpx.RemoteProtocolError("peer closed"), "RemoteProtocolError"),
        (httpx.Response(200, text="<html>hello</html>"), "not HAProxy stats CSV"),
    ],
)
def test_client_failures_are_clear_and_never_show_the_password(
    failure: httpx.Response | Exception, message: str
) -> None:
    with pytest.raises(StatsUnavailable, match=message) as caught:
        _failing(failure).fetch("http://lb:80/lbstats", CREDS)
    assert isinstance(caught.value, RuntimeFailure)
    assert caught.value.url == "http://lb:80/lbstats"
    assert "s3cret" not in str(caught.value)


def test_vip_stats_url_uses_the_lb_hosts_address_and_published_port() -> None:
    vip = reference_vip(publish=8080)
    hosts = {"docker1": Host("docker1", "unix:///x.sock", address="198.18.0.11")}
    topology = replace(reference_topology(), hosts=hosts)
    assert vip_stats_url(topology, vip) == "http://198.18.0.11:8080/lbstats"
    no_address = replace(topology, hosts={"docker1": Host("docker1", "unix:///x.sock")})
    with pytest.raises(BadInput, match="no address"):
        vip_stats_url(no_address, vip)


def _all_up(client: StatsClient, url: str, creds: StatsCredentials) -> VipStats | None:
    stats = client.fetch(url, creds, "all", "pres_containers")
    # Servers start UP with check status INI: wait for a first passed health check.
    ready = stats.servers and all(
        s.state == "UP" and s.check_status == "L7OK" for s in stats.servers
    )
    return stats if ready else None


def test_real_haproxy_stats_follow_round_robin_traffic(tmp_path: Path) -> None:
    with local_lb(tmp_path) as lb, StatsClient() as client, httpx.Client() as http:
        before = wait_for("both servers UP", lambda: _all_up(client, lb.stats_url, CREDS))
        assert [s.check_status for s in before.servers] == ["L7OK", "L7OK"]
        served = []
        for _ in range(20):
            response = http.get(lb.frontend_url, headers={"Connection": "close"})
            assert response.status_code == 200
            served.append(response.headers["X-Served-By"])
            assert f"served by {served[-1]}" in response.text
        assert served == ["web1", "web2"] * 10
        after = client.fetch(lb.stats_url, CREDS, "all", "pres_containers")
    sample = compute_rates(before, after)
    assert [(s.name, s.requests, s.share) for s in sample.servers] == [
        ("web1", 10, 0.5),
        ("web2", 10, 0.5),
    ]
    assert sample.frontend_requests >= 20  # the stats requests themselves count too
    assert sample.interval > 0 and all(s.per_second > 0 for s in sample.servers)


def test_real_haproxy_refuses_a_wrong_password_and_accepts_a_strange_one(tmp_path: Path) -> None:
    strange = StatsCredentials("user", "p a#s\\s\"q'$HOME:é%")
    with local_lb(tmp_path, credentials=strange) as lb, StatsClient() as client:
        wait_for("both servers UP", lambda: _all_up(client, lb.stats_url, strange))
        with pytest.raises(StatsUnavailable, match="HTTP 401"):
            client.fetch(lb.stats_url, CREDS)
        url = lb.stats_url
    with (
        StatsClient(timeout=1.0) as client,
        pytest.raises(StatsUnavailable, match="cannot connect"),
    ):
        client.fetch(url, strange)
